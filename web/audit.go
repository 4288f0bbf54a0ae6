package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/stix"
)

// The audit page (GET /audit) and "Who received this" on the object
// page: the same queries as `liaison audit log` and `liaison audit
// who-received`, under the rule of audit.EntriesFor: admins read all,
// an organisation's officers read their own principals' entries and who
// received what their organisation originated, nobody else any.

// auditPageLimit bounds the entries one audit page shows.
const (
	auditPageLimit    = 100
	auditPageMaxLimit = 1000
	whoReceivedLimit  = 50
)

type auditView struct {
	Principal, Org, Object, Since, Action string
	Limit                                 int
	Admin, Originated                     bool
	Entries                               []auditEntryView
	More                                  bool
	Actions                               []string
}

type auditEntryView struct {
	Index                                   int64
	At                                      timeView
	Principal, Org, Action, Op, Path, Route string
	Collection, Outcome, Detail             string
	Refs                                    []string
	MoreRefs                                int
	Served                                  int // versions named by instance (audit.Served), beyond Refs
}

// auditRefsShown bounds the refs listed for one entry.
const auditRefsShown = 5

func (s *Server) auditPage(p *page) error {
	if p.p == nil || !audit.MayRead(*p.p) {
		return audit.ErrNoAudit
	}
	q := p.r.URL.Query()
	for k := range q {
		switch k {
		case "principal", "org", "object", "since", "action", "limit":
		default:
			return liaison.Errorf(liaison.EINVALID, "field %s is unknown: the audit page takes principal, org, object, since, action and limit", truncate(k, 40))
		}
	}
	v := auditView{Principal: q.Get("principal"), Org: q.Get("org"), Object: strings.TrimSpace(q.Get("object")), Since: q.Get("since"), Action: q.Get("action"),
		Limit: auditPageLimit, Admin: p.p.HasRole(liaison.RoleAdmin), Actions: auditActions}
	f := audit.Filter{Principal: v.Principal, Org: v.Org, Object: v.Object, Action: v.Action, After: -1, Resolve: true}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > auditPageMaxLimit {
			return liaison.Errorf(liaison.EINVALID, "field limit: %q is not a whole number from 1 to %d", truncate(l, 20), auditPageMaxLimit)
		}
		v.Limit = n
	}
	if v.Action != "" && !contains(auditActions, v.Action) {
		return liaison.Errorf(liaison.EINVALID, "field action: %q is not one of %s", truncate(v.Action, 40), strings.Join(auditActions, ", "))
	}
	if v.Since != "" {
		t, err := parseSince(v.Since)
		if err != nil {
			return err
		}
		f.Since = t
	}
	var readable map[string]bool
	if v.Object != "" && !v.Admin {
		if _, _, ok := stix.SplitID(v.Object); ok {
			var err error
			if readable, err = s.originated(p, v.Object); err != nil {
				return err
			}
			v.Originated = readable != nil
		}
	}
	f.Limit = v.Limit + 1
	err := audit.EntriesFor(p.r.Context(), s.audit, *p.p, f, readable, func(e audit.Entry) error {
		if len(v.Entries) == v.Limit {
			v.More = true
			return nil
		}
		ev := auditEntryView{Index: e.Index, At: p.when(e.Time), Principal: e.Principal, Org: e.Org, Action: e.Action, Op: e.Op, Path: e.Path,
			Route: e.Route, Collection: e.Collection, Outcome: e.Outcome, Detail: e.Detail}
		if len(e.Refs) == 0 {
			ev.Served = e.Count()
		}
		for i, r := range e.Refs {
			if i == auditRefsShown {
				ev.MoreRefs = len(e.Refs) - i
				break
			}
			ref := r.ID
			if r.Version != "" {
				ref += " @ " + r.Version
			}
			ev.Refs = append(ev.Refs, ref)
		}
		v.Entries = append(v.Entries, ev)
		return nil
	})
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "audit.html", "Audit", "audit", v)
}

var auditActions = []string{audit.ActionRead, audit.ActionWrite, audit.ActionReject, audit.ActionDelete, audit.ActionDirectory, audit.ActionRecompute,
	audit.ActionUser, audit.ActionCollection, audit.ActionTokenCreate, audit.ActionTokenRevoke, audit.ActionSignIn, audit.ActionSignInFailed,
	audit.ActionConsultation, audit.ActionDecision, audit.ActionPeer}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseSince reads the since field: a date or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, liaison.Errorf(liaison.EINVALID, "field since: %q is neither a date (year-month-day, such as 2026-12-01) nor a full time with its zone (such as 2026-12-01T09:00:00Z)", truncate(s, 40))
}

// originated returns, when the reader's organisation originated the
// object id, the versions of it the reader may read (audit.VersionStamp),
// and nil otherwise. Both come from reader-filtered reads in the
// collections the reader may read: an object the reader may not read is
// never theirs, and a version they may not read is never listed.
func (s *Server) originated(p *page, id string) (map[string]bool, error) {
	colls, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	var vs []liaison.Version
	for _, c := range colls {
		page, err := s.store.Objects(p.r.Context(), *p.p, c.ID, liaison.ObjectQuery{IDs: []string{id}, Manifest: true, Versions: []string{liaison.VersionAll}, Limit: maxVersions})
		if err != nil {
			return nil, err
		}
		vs = append(vs, page.Versions...)
	}
	return originatedBy(vs, p.p.Org), nil
}

// originatedBy is the set of the versions' stamps when org originated
// the object (the originator of its oldest version vs holds), else nil.
func originatedBy(vs []liaison.Version, org string) map[string]bool {
	if len(vs) == 0 || org == "" {
		return nil
	}
	first := vs[0]
	for _, v := range vs {
		if v.Modified.Before(first.Modified) {
			first = v
		}
	}
	if first.Originator != org {
		return nil
	}
	out := map[string]bool{}
	for _, v := range vs {
		out[audit.VersionStamp(v.Modified)] = true
	}
	return out
}

type receiptView struct {
	At                   timeView
	Principal, Org, Path string
	Op, Versions         string
	Entry                int64
}

// whoReceived is the "Who received this" part of the object page, over
// the versions vs of it the reader may read: for an admin, or an officer
// of the organisation that originated the object. ok false when the
// reader may not know.
func (s *Server) whoReceived(p *page, id string, vs []liaison.Version) ([]receiptView, bool, error) {
	if s.audit == nil || p.p == nil {
		return nil, false, nil
	}
	rs, ok, err := audit.WhoReceived(p.r.Context(), s.audit, *p.p, id, originatedBy(vs, p.p.Org), whoReceivedLimit)
	if err != nil || !ok {
		return nil, false, err
	}
	out := make([]receiptView, 0, len(rs))
	for _, r := range rs {
		out = append(out, receiptView{At: p.when(r.Time), Principal: r.Principal, Org: r.Org, Path: r.Path, Op: r.Op, Versions: strings.Join(r.Versions, ", "), Entry: r.Entry})
	}
	return out, true, nil
}
