package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// countCap is where the home page stops counting what is new in one
// collection: it pages through manifests up to here and says "1000+".
const countCap = 1000

// homePage is what the home page template shows.
type homePage struct {
	Office    liaison.Organisation
	Allies    []liaison.Organisation
	Bodies    []liaison.Organisation
	Partners  []partnerView
	BaseURL   string
	TAXIIPath string
	APIRoot   string

	SignedIn    bool
	Since       timeView
	SinceParam  string
	SinceChoice []sinceChoice
	New         []newInCollection
	NewTotal    count
	Collections []liaison.CollectionAccess
}

type partnerView struct {
	liaison.Organisation
	Agreements []string
}

type sinceChoice struct {
	Label, Href string
	Current     bool
}

// count is a number of versions that stops at countCap.
type count struct {
	N      int
	Capped bool
}

func (c count) String() string {
	if c.Capped {
		return strconv.Itoa(c.N) + "+"
	}
	return strconv.Itoa(c.N)
}

// newInCollection is what was added to one collection since the visit.
type newInCollection struct {
	Coll  liaison.CollectionAccess
	Count count
	Types []typeCount
	Href  string
}

type typeCount struct {
	Type  string
	N     int
	Href  string
	Upper bool // the collection's count was capped: this is a lower bound
}

// home shows the office, who is on it and how to connect a TAXII client
// and, for a signed-in reader, what was added since their last visit to
// each collection they may read, by type.
func (s *Server) home(p *page) error {
	ctx := p.r.Context()
	orgs, err := s.store.Organisations(ctx)
	if err != nil {
		return err
	}
	agreements, err := s.store.Agreements(ctx)
	if err != nil {
		return err
	}
	hp := homePage{Office: s.cfg.Office, BaseURL: baseURL(p.r), TAXIIPath: s.cfg.TAXIIPath, APIRoot: s.cfg.APIRoot}
	now := s.cfg.Now()
	for _, o := range orgs {
		switch o.Kind {
		case liaison.Ally:
			hp.Allies = append(hp.Allies, o)
		case liaison.NATOBody:
			hp.Bodies = append(hp.Bodies, o)
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
			hp.Partners = append(hp.Partners, pv)
		}
	}
	if p.p != nil {
		if err := s.whatsNew(p, &hp, now); err != nil {
			return err
		}
	}
	return p.render(http.StatusOK, "home.html", s.cfg.Office.Name, "home", hp)
}

// whatsNew counts, per readable collection and per type, the versions
// added since the reader's last visit (or since=…), through manifests a
// page at a time, stopping at countCap.
func (s *Server) whatsNew(p *page, hp *homePage, now time.Time) error {
	hp.SignedIn = true
	since := now.Add(-firstVisitWindow)
	if p.sess != nil {
		since = p.sess.since
	}
	param := p.r.URL.Query().Get("since")
	if param != "" {
		t, err := parseWhen("since", param)
		if err != nil {
			return err
		}
		since = t
	}
	hp.Since, hp.SinceParam = p.when(since), since.UTC().Format(time.RFC3339Nano)
	for _, c := range []struct {
		label string
		at    time.Time
	}{{"the last day", now.Add(-24 * time.Hour)}, {"the last 7 days", now.Add(-7 * 24 * time.Hour)}, {"the last 30 days", now.Add(-30 * 24 * time.Hour)}} {
		v := c.at.UTC().Format(time.RFC3339)
		hp.SinceChoice = append(hp.SinceChoice, sinceChoice{Label: c.label, Href: "/?since=" + url.QueryEscape(v), Current: param == v})
	}
	if p.sess != nil {
		hp.SinceChoice = append([]sinceChoice{{Label: "your last visit", Href: "/", Current: param == ""}}, hp.SinceChoice...)
	}
	cs, err := s.store.Collections(p.r.Context(), *p.p)
	if err != nil {
		return err
	}
	hp.Collections = cs
	for _, c := range cs {
		if !c.CanRead {
			continue
		}
		n, err := s.countNew(p, c, since)
		if err != nil {
			return err
		}
		hp.NewTotal.N += n.Count.N
		hp.NewTotal.Capped = hp.NewTotal.Capped || n.Count.Capped
		hp.New = append(hp.New, n)
	}
	return nil
}

func (s *Server) countNew(p *page, c liaison.CollectionAccess, since time.Time) (newInCollection, error) {
	q := liaison.ObjectQuery{AddedAfter: since, Versions: []string{liaison.VersionAll}, Manifest: true, Limit: 250}
	byType := map[string]int{}
	var n count
	for {
		pg, err := s.store.Objects(p.r.Context(), *p.p, c.ID, q)
		if err != nil {
			return newInCollection{}, err
		}
		for _, v := range pg.Versions {
			if n.N == countCap {
				n.Capped = true
				break
			}
			n.N++
			byType[v.Type]++
		}
		if n.Capped || !pg.More {
			break
		}
		if n.N == countCap {
			n.Capped = true
			break
		}
		q.Next = pg.Next
	}
	lv := listQuery{Version: liaison.VersionAll, Limit: defaultListLimit, AddedAfter: since}
	base := "/collections/" + c.ID + "/objects"
	out := newInCollection{Coll: c, Count: n, Href: withValues(base, lv.values())}
	for t, k := range byType {
		tq := lv
		tq.Types = []string{t}
		out.Types = append(out.Types, typeCount{Type: t, N: k, Href: withValues(base, tq.values()), Upper: n.Capped})
	}
	slices.SortFunc(out.Types, func(a, b typeCount) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out, nil
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.TrimSuffix(r.Host, "/")
}
