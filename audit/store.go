package audit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"liaison"
	"liaison/internal/route"
)

// Store wraps a liaison.Store so that every method records an entry in
// the log: what was returned to which reader (the versions of a page, the
// links of Related, the version an explanation is about, the
// consultations and proposals read), what was written, rejected or
// deleted, every directory, user, token and collection change, every
// consultation and decision action, and sign-ins. A read that returns
// nothing records nothing; a change that fails records its error code.
// What the wrapped store returns is returned unchanged.
//
// The wrapper is a liaison.Store and nothing more: optional interfaces of
// the wrapped store are not passed through.
func NewStore(next liaison.Store, l *Log) liaison.Store {
	return &store{next: next, log: l, tokenSeen: map[string]time.Time{}}
}

type store struct {
	next liaison.Store
	log  *Log

	mu        sync.Mutex
	tokenSeen map[string]time.Time // a token's last recorded sign-in
}

// Every method is written out, none embedded, so that a method added to
// liaison.Store fails to compile here until it is audited.
var _ liaison.Store = (*store)(nil)

// TokenSignInEvery is how often a token's use is recorded as a sign-in:
// the first use, then at most once in this time (tokens authenticate
// every API request).
const TokenSignInEvery = time.Minute

type pathKey struct{}

// WithPath returns a context whose store calls are recorded as taken on
// path (PathTAXII, PathAPI, …).
func WithPath(ctx context.Context, path string) context.Context {
	return context.WithValue(ctx, pathKey{}, path)
}

// PathFrom is the path ctx carries, or PathCommand.
func PathFrom(ctx context.Context) string {
	if p, ok := ctx.Value(pathKey{}).(string); ok && p != "" {
		return p
	}
	return PathCommand
}

// entry starts an entry for the call under ctx by who.
func entry(ctx context.Context, who liaison.Principal, action, op string, err error) Entry {
	e := Entry{Principal: who.Name, Org: who.Org, Action: action, Path: PathFrom(ctx), Op: op, Outcome: OutcomeOK}
	if l := route.Of(ctx); l != nil {
		e.Route = l.Pattern()
	}
	if err != nil {
		e.Outcome = liaison.ErrorCode(err)
	}
	return e
}

// actor is who made a call that names no principal: the signed-in
// principal of the request, or the operator at the command line.
func actor(ctx context.Context) liaison.Principal {
	if p, ok := liaison.PrincipalFrom(ctx); ok {
		return p
	}
	return liaison.Principal{Name: OperatorName}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func versionRefs(vs []liaison.Version) []Ref {
	refs := make([]Ref, len(vs))
	for i, v := range vs {
		refs[i] = Ref{ID: v.ID, Version: stamp(v.Modified)}
	}
	return refs
}

// nameServed names the versions a read returned (or a write stored) in
// e: by instance (Served) when each has its collection and date_added,
// else by Ref, after the refs e names already.
func nameServed(e *Entry, vs []liaison.Version) {
	if sv, ok := ServedOf(vs); ok {
		e.Served = sv
		return
	}
	e.Refs = append(e.Refs, versionRefs(vs)...)
}

func consultationRef(id int64) Ref { return Ref{ID: "consultation/" + strconv.FormatInt(id, 10)} }
func contributionRef(id int64) Ref { return Ref{ID: "contribution/" + strconv.FormatInt(id, 10)} }
func proposalRef(id int64) Ref     { return Ref{ID: "proposal/" + strconv.FormatInt(id, 10)} }

// change records a change made by the request's principal (or the
// operator) that names no reader of its own.
func (s *store) change(ctx context.Context, action, op string, err error, detail string, refs ...Ref) {
	e := entry(ctx, actor(ctx), action, op, err)
	e.Detail, e.Refs = detail, refs
	s.log.Record(e)
}

// Close appends what the log holds and closes it, then the store.
func (s *store) Close() error { return errors.Join(s.log.Close(), s.next.Close()) }

// DirectoryService

func (s *store) CreateOrganisation(ctx context.Context, o liaison.Organisation) error {
	err := s.next.CreateOrganisation(ctx, o)
	s.change(ctx, ActionDirectory, "CreateOrganisation", err, "organisation "+o.Code+" ("+string(o.Kind)+")")
	return err
}

func (s *store) Organisation(ctx context.Context, code string) (liaison.Organisation, error) {
	return s.next.Organisation(ctx, code)
}

func (s *store) Organisations(ctx context.Context) ([]liaison.Organisation, error) {
	return s.next.Organisations(ctx)
}

func (s *store) CreateCommunity(ctx context.Context, c liaison.Community) error {
	err := s.next.CreateCommunity(ctx, c)
	s.change(ctx, ActionDirectory, "CreateCommunity", err, "community "+c.Name+": "+strings.Join(c.Members, ", "))
	return err
}

func (s *store) SetCommunityMembers(ctx context.Context, name string, members []string) error {
	err := s.next.SetCommunityMembers(ctx, name, members)
	s.change(ctx, ActionDirectory, "SetCommunityMembers", err, "community "+name+": "+strings.Join(members, ", "))
	return err
}

func (s *store) Communities(ctx context.Context) ([]liaison.Community, error) {
	return s.next.Communities(ctx)
}

func (s *store) CreateAgreement(ctx context.Context, a *liaison.Agreement) error {
	err := s.next.CreateAgreement(ctx, a)
	s.change(ctx, ActionDirectory, "CreateAgreement", err, agreementDetail(*a))
	return err
}

func (s *store) UpdateAgreement(ctx context.Context, a liaison.Agreement) error {
	err := s.next.UpdateAgreement(ctx, a)
	s.change(ctx, ActionDirectory, "UpdateAgreement", err, agreementDetail(a))
	return err
}

func agreementDetail(a liaison.Agreement) string {
	d := "agreement " + strconv.FormatInt(a.ID, 10) + " (" + string(a.Kind) + ") with " + a.Partner
	if a.MaxClassification != liaison.NoClassification {
		d += " up to " + a.MaxClassification.String()
	}
	if !a.From.IsZero() {
		d += " from " + stamp(a.From)
	}
	if !a.Until.IsZero() {
		d += " until " + stamp(a.Until)
	}
	return d
}

func (s *store) Agreements(ctx context.Context) ([]liaison.Agreement, error) {
	return s.next.Agreements(ctx)
}

func (s *store) UpdateOrganisation(ctx context.Context, o liaison.Organisation) error {
	err := s.next.UpdateOrganisation(ctx, o)
	s.change(ctx, ActionDirectory, "UpdateOrganisation", err, "organisation "+o.Code+": name "+o.Name+", time zone "+o.TimeZone)
	return err
}

func (s *store) PreviewDirectory(ctx context.Context, reader liaison.Principal, c liaison.DirectoryChange) (liaison.DirectoryEffect, error) {
	eff, err := s.next.PreviewDirectory(ctx, reader, c)
	if err == nil {
		e := entry(ctx, reader, ActionRead, "PreviewDirectory", nil)
		e.Detail = "effect preview: counts per organisation of " + strconv.FormatInt(eff.Versions, 10) + " versions"
		s.log.Record(e)
	}
	return eff, err
}

func (s *store) RecordObjectiveProgress(ctx context.Context, p *liaison.ObjectiveProgress) error {
	err := s.next.RecordObjectiveProgress(ctx, p)
	s.change(ctx, ActionDirectory, "RecordObjectiveProgress", err, "programme "+strconv.FormatInt(p.Agreement, 10)+", objective "+strconv.Itoa(p.Objective+1)+": "+strconv.Itoa(p.Percent)+"%")
	return err
}

func (s *store) ObjectiveProgress(ctx context.Context, agreement int64) ([]liaison.ObjectiveProgress, error) {
	return s.next.ObjectiveProgress(ctx, agreement)
}

func (s *store) Directory(ctx context.Context) (*liaison.Directory, error) {
	return s.next.Directory(ctx)
}

func (s *store) RecomputeAudiences(ctx context.Context) error {
	err := s.next.RecomputeAudiences(ctx)
	s.change(ctx, ActionRecompute, "RecomputeAudiences", err, "every stored audience")
	return err
}

// UserService

func (s *store) CreateUser(ctx context.Context, p *liaison.Principal, password string) error {
	err := s.next.CreateUser(ctx, p, password)
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	s.change(ctx, ActionUser, "CreateUser", err, "user "+p.Name+" of "+p.Org+" as "+strings.Join(roles, ", "))
	return err
}

func (s *store) User(ctx context.Context, name string) (liaison.Principal, error) {
	return s.next.User(ctx, name)
}

func (s *store) Users(ctx context.Context) ([]liaison.Principal, error) { return s.next.Users(ctx) }

// Authenticate records a sign-in with a password: accepted, or refused
// (with the name tried, never the password).
func (s *store) Authenticate(ctx context.Context, name, password string) (liaison.Principal, error) {
	p, err := s.next.Authenticate(ctx, name, password)
	if err != nil {
		e := entry(ctx, liaison.Principal{Name: name}, ActionSignInFailed, "Authenticate", err)
		e.Detail = "password"
		s.log.Record(e)
		return p, err
	}
	e := entry(ctx, p, ActionSignIn, "Authenticate", nil)
	e.Detail = "password"
	s.log.Record(e)
	return p, nil
}

func (s *store) SetPassword(ctx context.Context, name, password string) error {
	err := s.next.SetPassword(ctx, name, password)
	s.change(ctx, ActionUser, "SetPassword", err, "password of "+name)
	return err
}

func (s *store) SetRoles(ctx context.Context, name string, roles []liaison.Role) error {
	err := s.next.SetRoles(ctx, name, roles)
	rs := make([]string, len(roles))
	for i, r := range roles {
		rs[i] = string(r)
	}
	s.change(ctx, ActionUser, "SetRoles", err, "roles of "+name+" set to "+strings.Join(rs, ", "))
	return err
}

func (s *store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	err := s.next.SetDisabled(ctx, name, disabled)
	what := "enabled"
	if disabled {
		what = "disabled"
	}
	s.change(ctx, ActionUser, "SetDisabled", err, "user "+name+" "+what)
	return err
}

func (s *store) CredentialStamp(ctx context.Context, name string) (string, error) {
	return s.next.CredentialStamp(ctx, name)
}

func (s *store) CreateToken(ctx context.Context, user string) (liaison.Token, string, error) {
	t, secret, err := s.next.CreateToken(ctx, user)
	s.change(ctx, ActionTokenCreate, "CreateToken", err, "token "+t.ID+" of "+user)
	return t, secret, err
}

func (s *store) RevokeToken(ctx context.Context, id string) error {
	err := s.next.RevokeToken(ctx, id)
	s.change(ctx, ActionTokenRevoke, "RevokeToken", err, "token "+id)
	return err
}

func (s *store) Tokens(ctx context.Context, user string) ([]liaison.Token, error) {
	return s.next.Tokens(ctx, user)
}

// PrincipalByToken records a token's sign-in at its first use and then
// at most once every TokenSignInEvery. A refused secret is not recorded
// here: the authenticator tries every password as a token first, and
// records the refusal when the password check fails.
func (s *store) PrincipalByToken(ctx context.Context, secret string) (liaison.Principal, error) {
	p, err := s.next.PrincipalByToken(ctx, secret)
	if err != nil {
		return p, err
	}
	id := tokenID(secret)
	now := s.log.Now()
	s.mu.Lock()
	last, seen := s.tokenSeen[id]
	due := !seen || now.Sub(last) >= TokenSignInEvery
	if due {
		s.tokenSeen[id] = now
	}
	s.mu.Unlock()
	if due {
		e := entry(ctx, p, ActionSignIn, "PrincipalByToken", nil)
		e.Detail = "token " + id
		s.log.Record(e)
	}
	return p, nil
}

// tokenID is the public id in a token lia_<id>_<secret>; never the secret.
func tokenID(secret string) string {
	rest, ok := strings.CutPrefix(secret, "lia_")
	if !ok {
		return "?"
	}
	id, _, _ := strings.Cut(rest, "_")
	return id
}

// CollectionService

func (s *store) CreateCollection(ctx context.Context, c *liaison.Collection) error {
	err := s.next.CreateCollection(ctx, c)
	s.change(ctx, ActionCollection, "CreateCollection", err, "collection "+c.ID+" "+c.Title)
	return err
}

func (s *store) UpdateCollection(ctx context.Context, c *liaison.Collection) error {
	err := s.next.UpdateCollection(ctx, c)
	s.change(ctx, ActionCollection, "UpdateCollection", err, "collection "+c.ID+" "+c.Title+": read "+strings.Join(c.Read, ",")+"; write "+strings.Join(c.Write, ",")+"; default marking "+c.DefaultMarking)
	return err
}

func (s *store) SetMatchOnIngest(ctx context.Context, collection string, on bool) error {
	err := s.next.SetMatchOnIngest(ctx, collection, on)
	s.change(ctx, ActionCollection, "SetMatchOnIngest", err, "collection "+collection+" match on ingest "+strconv.FormatBool(on))
	return err
}

func (s *store) MatchOnIngest(ctx context.Context) ([]string, error) {
	return s.next.MatchOnIngest(ctx)
}

func (s *store) AllCollections(ctx context.Context) ([]liaison.Collection, error) {
	return s.next.AllCollections(ctx)
}

func (s *store) Collections(ctx context.Context, reader liaison.Principal) ([]liaison.CollectionAccess, error) {
	return s.next.Collections(ctx, reader)
}

func (s *store) Collection(ctx context.Context, reader liaison.Principal, id string) (liaison.CollectionAccess, error) {
	return s.next.Collection(ctx, reader, id)
}

// ObjectService

// AddObjects records the versions written (and those present already or
// conflicting, noted) in one entry, and those rejected, with their
// messages, in another. The instances it stored are named compactly, by
// date_added (Served), as a read's are: an envelope of 1,000 then takes
// a few index rows rather than one a version.
func (s *store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	res, err := s.next.AddObjects(ctx, writer, collection, objs)
	return s.added(ctx, writer, collection, objs, res, err)
}

// AddObjectsWithStatus is recorded as AddObjects is: the status it saves
// is not audited, as SaveStatus's is not.
func (s *store) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	res, err := s.next.AddObjectsWithStatus(ctx, writer, collection, objs, status)
	return s.added(ctx, writer, collection, objs, res, err)
}

// added records the outcome of an AddObjects call and returns it.
func (s *store) added(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, res liaison.WriteResult, err error) (liaison.WriteResult, error) {
	if err != nil {
		e := entry(ctx, writer, ActionWrite, "AddObjects", err)
		e.Collection, e.Detail = collection, strconv.Itoa(len(objs))+" objects refused whole"
		s.log.Record(e)
		return res, err
	}
	if len(res.Accepted) > 0 {
		e := entry(ctx, writer, ActionWrite, "AddObjects", nil)
		e.Collection = collection
		var stored []liaison.Version
		for _, a := range res.Accepted {
			r := Ref{ID: a.ID, Version: stamp(a.Version)}
			switch {
			case a.Conflict != "":
				r.Note = "conflicting"
			case a.Present:
				r.Note = "present"
			case !a.Added.IsZero():
				stored = append(stored, liaison.Version{ID: a.ID, Modified: a.Version, Collection: collection, DateAdded: a.Added})
				continue
			}
			e.Refs = append(e.Refs, r)
		}
		if len(stored) > 0 {
			nameServed(&e, stored)
		}
		s.log.Record(e)
	}
	if len(res.Rejected) > 0 {
		e := entry(ctx, writer, ActionReject, "AddObjects", nil)
		e.Collection = collection
		e.Refs = make([]Ref, len(res.Rejected))
		for i, r := range res.Rejected {
			e.Refs[i] = Ref{ID: r.ID, Version: stamp(r.Version), Note: r.Message}
		}
		s.log.Record(e)
	}
	return res, nil
}

func (s *store) Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error) {
	page, err := s.next.Objects(ctx, reader, collection, q)
	if err == nil && len(page.Versions) > 0 {
		e := entry(ctx, reader, ActionRead, "Objects", nil)
		e.Collection = collection
		nameServed(&e, page.Versions)
		if q.Manifest {
			e.Detail = "manifest"
		}
		s.log.Record(e)
	}
	return page, err
}

func (s *store) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (int, error) {
	n, err := s.next.DeleteObject(ctx, writer, collection, id, q)
	e := entry(ctx, writer, ActionDelete, "DeleteObject", err)
	e.Collection = collection
	e.Refs = []Ref{{ID: id, Note: "versions " + strings.Join(q.Versions, ",")}}
	e.Detail = strconv.Itoa(n) + " versions deleted"
	s.log.Record(e)
	return n, err
}

func (s *store) Marking(ctx context.Context, id string) (liaison.Marking, error) {
	return s.next.Marking(ctx, id)
}

func (s *store) Related(ctx context.Context, reader liaison.Principal, id string, limit int) ([]liaison.Version, bool, error) {
	vs, more, err := s.next.Related(ctx, reader, id, limit)
	if err == nil && len(vs) > 0 {
		e := entry(ctx, reader, ActionRead, "Related", nil)
		e.Detail = "links of " + id
		nameServed(&e, vs)
		s.log.Record(e)
	}
	return vs, more, err
}

func (s *store) RelatedAfter(ctx context.Context, reader liaison.Principal, id, after string, limit int) ([]liaison.Version, string, error) {
	vs, next, err := s.next.RelatedAfter(ctx, reader, id, after, limit)
	if err == nil && len(vs) > 0 {
		e := entry(ctx, reader, ActionRead, "Related", nil)
		e.Detail = "links of " + id
		nameServed(&e, vs)
		s.log.Record(e)
	}
	return vs, next, err
}

func (s *store) ExplainAudience(ctx context.Context, reader liaison.Principal, collection, id string, version time.Time) (liaison.Explanation, error) {
	x, err := s.next.ExplainAudience(ctx, reader, collection, id, version)
	if err == nil {
		e := entry(ctx, reader, ActionRead, "ExplainAudience", nil)
		e.Collection = collection
		nameServed(&e, []liaison.Version{x.Version})
		e.Detail = "who may read it"
		s.log.Record(e)
	}
	return x, err
}

// SearchService

// Search records the versions a search returned to the reader.
func (s *store) Search(ctx context.Context, reader liaison.Principal, q liaison.SearchQuery) (liaison.SearchPage, error) {
	page, err := s.next.Search(ctx, reader, q)
	if err == nil && len(page.Hits) > 0 {
		vs := make([]liaison.Version, len(page.Hits))
		for i, h := range page.Hits {
			vs[i] = h.Version
		}
		e := entry(ctx, reader, ActionRead, "Search", nil)
		e.Detail = "search"
		nameServed(&e, vs)
		s.log.Record(e)
	}
	return page, err
}

// Activity records the counts a reader was given; they name no version.
func (s *store) Activity(ctx context.Context, reader liaison.Principal, q liaison.ActivityQuery) ([]liaison.ActivityCount, error) {
	counts, err := s.next.Activity(ctx, reader, q)
	if err == nil {
		e := entry(ctx, reader, ActionRead, "Activity", nil)
		e.Detail = "counts of objects added per day"
		s.log.Record(e)
	}
	return counts, err
}

// MatchService

// Match records the indicator versions a batch matched as read by the
// submitter, and what Record wrote (which goes through the store's write
// path inside the call, not through this wrapper) as its write.
func (s *store) Match(ctx context.Context, submitter liaison.Principal, req liaison.MatchRequest) (liaison.MatchResult, error) {
	res, err := s.next.Match(ctx, submitter, req)
	if err != nil {
		if req.Record {
			e := entry(ctx, submitter, ActionWrite, "Match", err)
			e.Collection, e.Detail = req.Collection, strconv.Itoa(len(req.Objects))+" observations refused whole"
			s.log.Record(e)
		}
		return res, err
	}
	if len(res.Matches) > 0 {
		e := entry(ctx, submitter, ActionRead, "Match", nil)
		e.Collection, e.Detail = req.Collection, strconv.Itoa(res.Observations)+" observations matched"
		e.Refs = make([]Ref, len(res.Matches))
		for i, m := range res.Matches {
			e.Refs[i] = Ref{ID: m.Indicator, Version: stamp(m.Version)}
		}
		s.log.Record(e)
	}
	if len(res.Written) > 0 {
		e := entry(ctx, submitter, ActionWrite, "Match", nil)
		e.Collection, e.Detail = req.Collection, "sightings recorded"
		e.Refs = make([]Ref, len(res.Written))
		for i, a := range res.Written {
			e.Refs[i] = Ref{ID: a.ID, Version: stamp(a.Version)}
		}
		s.log.Record(e)
	}
	return res, nil
}

// StatusService

func (s *store) SaveStatus(ctx context.Context, st liaison.Status) error {
	return s.next.SaveStatus(ctx, st)
}

func (s *store) Status(ctx context.Context, reader liaison.Principal, id string) (liaison.Status, error) {
	return s.next.Status(ctx, reader, id)
}

// ConsultationService

func (s *store) consultation(ctx context.Context, by liaison.Principal, op string, err error, detail string, refs ...Ref) {
	e := entry(ctx, by, ActionConsultation, op, err)
	e.Detail, e.Refs = detail, refs
	s.log.Record(e)
}

func (s *store) CreateConsultation(ctx context.Context, by liaison.Principal, c *liaison.Consultation) error {
	err := s.next.CreateConsultation(ctx, by, c)
	s.consultation(ctx, by, "CreateConsultation", err, c.Title, consultationRef(c.ID))
	return err
}

func (s *store) Consultation(ctx context.Context, reader liaison.Principal, id int64) (liaison.Consultation, error) {
	c, err := s.next.Consultation(ctx, reader, id)
	if err == nil {
		e := entry(ctx, reader, ActionRead, "Consultation", nil)
		e.Refs = []Ref{consultationRef(id)}
		s.log.Record(e)
	}
	return c, err
}

func (s *store) Consultations(ctx context.Context, reader liaison.Principal, f liaison.ConsultationFilter) ([]liaison.Consultation, error) {
	cs, err := s.next.Consultations(ctx, reader, f)
	if err == nil && len(cs) > 0 {
		e := entry(ctx, reader, ActionRead, "Consultations", nil)
		for _, c := range cs {
			e.Refs = append(e.Refs, consultationRef(c.ID))
		}
		s.log.Record(e)
	}
	return cs, err
}

func (s *store) SetConsultationStatus(ctx context.Context, by liaison.Principal, id int64, to liaison.ConsultationStatus, reason string) (liaison.Consultation, error) {
	c, err := s.next.SetConsultationStatus(ctx, by, id, to, reason)
	s.consultation(ctx, by, "SetConsultationStatus", err, "to "+string(to)+": "+reason, consultationRef(id))
	return c, err
}

func (s *store) RecordOutcome(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (liaison.Consultation, error) {
	c, err := s.next.RecordOutcome(ctx, by, id, o)
	s.consultation(ctx, by, "RecordOutcome", err, strconv.Itoa(len(o.Actions))+" agreed actions", consultationRef(id))
	return c, err
}

func (s *store) ConcludeConsultation(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (liaison.Consultation, error) {
	c, err := s.next.ConcludeConsultation(ctx, by, id, o)
	s.consultation(ctx, by, "ConcludeConsultation", err, strconv.Itoa(len(o.Actions))+" agreed actions", consultationRef(id))
	return c, err
}

func (s *store) SetActionStatus(ctx context.Context, by liaison.Principal, id int64, i int, st liaison.ActionStatus) (liaison.Consultation, error) {
	c, err := s.next.SetActionStatus(ctx, by, id, i, st)
	s.consultation(ctx, by, "SetActionStatus", err, "action "+strconv.Itoa(i)+" to "+string(st), consultationRef(id))
	return c, err
}

func (s *store) PublishOutcome(ctx context.Context, by liaison.Principal, id int64, r liaison.PublishRequest) (liaison.Consultation, error) {
	c, err := s.next.PublishOutcome(ctx, by, id, r)
	refs := []Ref{consultationRef(id)}
	if err == nil && c.Published != nil {
		refs = append(refs, Ref{ID: c.Published.ObjectID, Note: "published"})
	}
	e := entry(ctx, by, ActionConsultation, "PublishOutcome", err)
	e.Collection, e.Detail, e.Refs = r.Collection, "as a "+r.Kind, refs
	s.log.Record(e)
	return c, err
}

func (s *store) Contribute(ctx context.Context, by liaison.Principal, c *liaison.Contribution) error {
	err := s.next.Contribute(ctx, by, c)
	s.consultation(ctx, by, "Contribute", err, "", consultationRef(c.Consultation), contributionRef(c.ID))
	return err
}

func (s *store) EditContribution(ctx context.Context, by liaison.Principal, id int64, text string, refs []string) (liaison.Contribution, error) {
	c, err := s.next.EditContribution(ctx, by, id, text, refs)
	s.consultation(ctx, by, "EditContribution", err, "", contributionRef(id))
	return c, err
}

func (s *store) WithdrawContribution(ctx context.Context, by liaison.Principal, id int64, reason string) (liaison.Contribution, error) {
	c, err := s.next.WithdrawContribution(ctx, by, id, reason)
	s.consultation(ctx, by, "WithdrawContribution", err, reason, contributionRef(id))
	return c, err
}

func (s *store) Contributions(ctx context.Context, reader liaison.Principal, consultation int64) ([]liaison.Contribution, error) {
	cs, err := s.next.Contributions(ctx, reader, consultation)
	if err == nil && len(cs) > 0 {
		e := entry(ctx, reader, ActionRead, "Contributions", nil)
		e.Refs = []Ref{consultationRef(consultation)}
		for _, c := range cs {
			e.Refs = append(e.Refs, contributionRef(c.ID))
		}
		s.log.Record(e)
	}
	return cs, err
}

// DecisionService

func (s *store) CreateProposal(ctx context.Context, by liaison.Principal, p *liaison.Proposal) error {
	err := s.next.CreateProposal(ctx, by, p)
	e := entry(ctx, by, ActionDecision, "CreateProposal", err)
	e.Detail, e.Refs = p.Title, []Ref{proposalRef(p.ID)}
	s.log.Record(e)
	return err
}

func (s *store) Proposal(ctx context.Context, reader liaison.Principal, id int64) (liaison.Proposal, error) {
	p, err := s.next.Proposal(ctx, reader, id)
	if err == nil {
		e := entry(ctx, reader, ActionRead, "Proposal", nil)
		e.Refs = []Ref{proposalRef(id)}
		s.log.Record(e)
	}
	return p, err
}

func (s *store) Proposals(ctx context.Context, reader liaison.Principal) ([]liaison.Proposal, error) {
	ps, err := s.next.Proposals(ctx, reader)
	if err == nil && len(ps) > 0 {
		e := entry(ctx, reader, ActionRead, "Proposals", nil)
		for _, p := range ps {
			e.Refs = append(e.Refs, proposalRef(p.ID))
		}
		s.log.Record(e)
	}
	return ps, err
}

func (s *store) Act(ctx context.Context, by liaison.Principal, id int64, a liaison.ProposalAct) (liaison.Proposal, error) {
	p, err := s.next.Act(ctx, by, id, a)
	e := entry(ctx, by, ActionDecision, "Act", err)
	e.Detail, e.Refs = string(a.Kind)+" "+a.Reason, []Ref{proposalRef(id)}
	s.log.Record(e)
	return p, err
}

func (s *store) CountUses(ctx context.Context, reader liaison.Principal, q liaison.UseQuery) (map[string]int, error) {
	n, err := s.next.CountUses(ctx, reader, q)
	if err == nil && len(n) > 0 {
		e := entry(ctx, reader, ActionRead, "CountUses", nil)
		e.Detail = "use counts of " + strconv.Itoa(len(n)) + " of " + strconv.Itoa(len(q.Targets)) + " targets"
		s.log.Record(e)
	}
	return n, err
}
