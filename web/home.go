package web

import (
	"net/http"
	"strings"

	"liaison"
	"liaison/auth"
)

// homePage is what the home page template shows.
type homePage struct {
	Office      liaison.Organisation
	Allies      []liaison.Organisation
	Bodies      []liaison.Organisation
	Partners    []partnerView
	Principal   *liaison.Principal
	Collections []liaison.CollectionAccess
	BaseURL     string
	TAXIIPath   string
	APIRoot     string
}

type partnerView struct {
	liaison.Organisation
	Agreements []string
}

// home shows the office, who is on it, how to connect a TAXII client and,
// for a signed-in principal, the collections they may use.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	agreements, err := s.store.Agreements(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	page := homePage{Office: s.cfg.Office, BaseURL: baseURL(r), TAXIIPath: s.cfg.TAXIIPath, APIRoot: s.cfg.APIRoot}
	now := s.cfg.Now()
	for _, o := range orgs {
		switch o.Kind {
		case liaison.Ally:
			page.Allies = append(page.Allies, o)
		case liaison.NATOBody:
			page.Bodies = append(page.Bodies, o)
		case liaison.Partner:
			pv := partnerView{Organisation: o}
			for _, a := range agreements {
				if a.Partner != o.Code || !a.InForce(now) {
					continue
				}
				if a.Kind == liaison.SecurityAgreement {
					pv.Agreements = append(pv.Agreements, "security agreement up to "+a.MaxClassification.String())
				} else {
					pv.Agreements = append(pv.Agreements, a.Name)
				}
			}
			page.Partners = append(page.Partners, pv)
		}
	}
	if r.Header.Get("Authorization") != "" {
		p, err := s.auth.Principal(r)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		page.Principal = &p
		if page.Collections, err = s.store.Collections(ctx, p); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, "home.html", page); err != nil {
		s.log.Error("render home page", "err", err)
	}
}

// signin asks the browser for credentials, then returns to the home page.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="liaison"`)
		http.Error(w, "sign in with your user name and password, or any name and an API token", http.StatusUnauthorized)
		return
	}
	if _, err := s.auth.Principal(r); err != nil {
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// pageError answers a page with err's status and safe message. A
// rate-limited sign-in gets 429 with Retry-After and no challenge: a 401
// would make the browser prompt again, and each answer would be another
// refused try.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code := liaison.ErrorCode(err)
	status := auth.Status(err)
	switch {
	case status == http.StatusTooManyRequests:
		s.auth.SetHeaders(w, err)
	case code == liaison.EINTERNAL:
		s.log.Error("page failed", "path", r.URL.Path, "err", err)
	case code == liaison.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Basic realm="liaison"`)
	}
	http.Error(w, liaison.ErrorMessage(err), status)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.TrimSuffix(r.Host, "/")
}
