package leaktest

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"liaison/audit"
	"liaison/auth"
	"liaison/core"
	"liaison/web"
)

// AuditPaths are the audit's read paths in the browser: the audit page
// (GET /audit, with and without an object) and "Who received this" on
// the object page, over a server whose store is audited as serve wires
// it. The rule (audit.EntriesFor): admins read all; an officer reads the
// entries of their own organisation's principals and, for an object
// their organisation originated, who received it, cut to the versions
// they may read; nobody else reads any. The store must hand out its
// transactions (DB() core.DB), as both stores do; a store that does not
// is reported.
func AuditPaths() []ReadPath { return []ReadPath{webAudit{}} }

type auditServer struct {
	ws *webServer
	db core.DB
}

// auditServerFor is the audited pages' server of a run.
func auditServerFor(e *Env) *auditServer {
	return e.Extra("web-audit", func() any {
		d, ok := e.Store.(interface{ DB() core.DB })
		if !ok {
			e.T.Errorf("leaktest: the store %T hands out no transactions: the audit paths cannot run", e.Store)
			return (*auditServer)(nil)
		}
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		l := audit.New(d.DB(), audit.Options{FlushEvery: 5 * time.Millisecond, Logger: logger})
		e.T.Cleanup(func() { l.Close() })
		st := audit.NewStore(e.Store, l)
		a := auth.New(st, auth.Options{MaxFailures: 1 << 20, Logger: logger})
		s, err := web.NewServer(web.Services{Store: st, Consultations: st, Decisions: st, Audit: d.DB()}, a, web.Config{Logger: logger})
		if err != nil {
			e.T.Fatalf("leaktest: audited web server: %v", err)
		}
		srv := httptest.NewServer(audit.Paths(s))
		e.T.Cleanup(srv.Close)
		return &auditServer{ws: &webServer{srv: srv}, db: d.DB()}
	}).(*auditServer)
}

var (
	auditRowRE    = regexp.MustCompile(`(?s)<tr data-entry="(\d+)" data-principal="([^"]*)" data-org="([^"]*)">(.*?)</tr>`)
	receivedRowRE = regexp.MustCompile(`(?s)<tr data-received="([^"]*)" data-org="([^"]*)">(.*?)</tr>`)
	versionStamp  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

type webAudit struct{}

func (webAudit) Name() string { return "web/audit" }

// Check checks the reader, and the officers and admins of the reader's
// organisation among the world's users (the readers a run checks are one
// analyst of each organisation; the audit is for the others).
func (webAudit) Check(e *Env, r *User) {
	as := auditServerFor(e)
	if as == nil {
		return
	}
	us := []*User{r}
	for _, u := range e.World.Users {
		if u.Org == r.Org && u.Name != r.Name && (u.HasRole("officer") || u.HasRole("admin")) {
			us = append(us, u)
		}
	}
	for _, u := range us {
		if u.Token != "" {
			checkAudit(e, as, u)
		}
	}
}

func checkAudit(e *Env, as *auditServer, r *User) {
	b := browserOn(e, r, as.ws, "web-audit-browser-")
	admin, officer := r.HasRole("admin"), r.HasRole("officer")
	// Some reading of r's own, recorded on the pages: an object page of
	// a collection r may read.
	var obj string
	var objVersions map[int64]bool
	for _, c := range e.someReadable(r, 1) {
		exp := e.Expected(r.Principal, c, All)
		if len(exp) == 0 {
			continue
		}
		obj = exp[e.Intn(len(exp))].ID
		objVersions = visibleVersions(e, r, obj)
		status, _, body, err := b.get(e, "/collections/"+c.ID+"/objects/"+obj)
		if err != nil || status != http.StatusOK {
			e.Errorf(r, "web/audit object %s: status %d err %v: %s", obj, status, err, truncateBody([]byte(body)))
			obj = ""
			continue
		}
		checkReceived(e, r, admin, obj, objVersions, body)
	}
	if obj != "" {
		// Wait until r's read is appended, so the pages below have it.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			found := false
			_ = audit.Entries(e.Ctx(), as.db, audit.Filter{Principal: r.Name, Object: obj, After: -1, Limit: 1}, func(audit.Entry) error { found = true; return nil })
			if found {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	status, _, body, err := b.get(e, "/audit")
	switch {
	case err != nil:
		e.Errorf(r, "web/audit: %v", err)
		return
	case !admin && !officer:
		if status != http.StatusForbidden {
			e.Errorf(r, "LEAK web/audit: a %v reads the audit page (status %d)", r.Roles, status)
		}
		noStrangers(e, r, "web/audit (refused)", []string{body}, nil)
		if strings.Contains(body, `href="/audit"`) {
			e.Errorf(r, "web/audit: a %v is offered the audit page", r.Roles)
		}
		return
	case status != http.StatusOK:
		e.Errorf(r, "web/audit: status %d: %s", status, truncateBody([]byte(body)))
		return
	}
	rows := auditRowRE.FindAllStringSubmatch(body, -1)
	if admin {
		return
	}
	for _, m := range rows {
		if m[3] != r.Org {
			e.Errorf(r, "LEAK web/audit: entry %s of %s (%s) is shown to an officer of %s", m[1], m[2], m[3], r.Org)
		}
	}
	if obj == "" {
		return
	}
	if len(rows) == 0 {
		e.Errorf(r, "web/audit: an officer does not see their own read of %s", obj)
	}
	// The object's entries: another organisation's read is shown only
	// with this object, at versions r may read now.
	status, _, body, err = b.get(e, "/audit?object="+obj)
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web/audit?object=%s: status %d err %v", obj, status, err)
		return
	}
	for _, m := range auditRowRE.FindAllStringSubmatch(body, -1) {
		if m[3] == r.Org {
			continue
		}
		for _, id := range stixIDRE.FindAllString(m[4], -1) {
			if id != obj {
				e.Errorf(r, "LEAK web/audit?object=%s: entry %s of %s (%s) names %s", obj, m[1], m[2], m[3], id)
			}
		}
		checkStamps(e, r, "web/audit?object="+obj+" entry "+m[1], m[4], objVersions)
	}
}

// checkReceived checks "Who received this" on an object page: for a
// reader who is not an admin, every version listed is one they may read
// now.
func checkReceived(e *Env, r *User, admin bool, obj string, visible map[int64]bool, body string) {
	if admin {
		return
	}
	for _, m := range receivedRowRE.FindAllStringSubmatch(body, -1) {
		checkStamps(e, r, "web/audit object "+obj+" who received ("+m[1]+")", m[3], visible)
	}
}

// checkStamps reports each version time in text that is not among the
// visible versions.
func checkStamps(e *Env, r *User, what, text string, visible map[int64]bool) {
	for _, s := range versionStamp.FindAllString(html.UnescapeString(text), -1) {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			continue
		}
		if !visible[t.UnixMicro()] && !isDisplayTime(text, s) {
			e.Errorf(r, "LEAK %s: names version %s, which the reference hides", what, s)
		}
	}
}

// isDisplayTime reports whether s appears in text as a displayed time
// (a <time> element), not as a version.
func isDisplayTime(text, s string) bool {
	return strings.Contains(text, `datetime="`+s+`"`) || strings.Contains(text, `>`+s+`</time>`) || strings.Contains(text, `<span class="utc">`+s+`</span>`)
}

// visibleVersions are the versions of id that r may read, in any
// collection, by the reference, as microseconds.
func visibleVersions(e *Env, r *User, id string) map[int64]bool {
	out := map[int64]bool{}
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c, All) {
			if o.ID == id {
				out[o.Modified.UnixMicro()] = true
			}
		}
	}
	return out
}
