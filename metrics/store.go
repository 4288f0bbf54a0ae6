package metrics

import (
	"context"
	"time"

	"liaison"
)

// Store wraps a store so that every call of its methods is timed, by
// method and outcome, in the store operation histogram; the methods that
// change the directory (and RecomputeAudiences) also in the audience
// recompute histogram, since each recomputes every stored audience; and
// the fate of every object given to AddObjects is counted. What the
// wrapped store returns is returned unchanged.
//
// The wrapper is a liaison.Store and nothing more: optional interfaces of
// the wrapped store (liaison.Snapshotter, GroupCommitter) are not passed
// through, so operator commands that need them use the store itself.
func (m *Metrics) Store(next liaison.Store) liaison.Store { return &store{next: next, m: m} }

type store struct {
	next liaison.Store
	m    *Metrics
}

// Every method is written out below, none embedded, so that a method
// added to liaison.Store fails to compile here until it is timed.
var _ liaison.Store = (*store)(nil)

// observe records one call of the operation that started at start and
// ended with *err.
func (s *store) observe(op string, start time.Time, err *error) {
	s.m.storeOps.WithLabelValues(op, outcome(*err)).Observe(time.Since(start).Seconds())
}

// recompute is observe for the calls that recompute every audience.
func (s *store) recompute(op string, start time.Time, err *error) {
	d := time.Since(start).Seconds()
	o := outcome(*err)
	s.m.storeOps.WithLabelValues(op, o).Observe(d)
	s.m.recomputes.WithLabelValues(op, o).Observe(d)
}

// outcome is "ok" or the error's code (not_found, invalid, …, internal):
// a bounded set.
func outcome(err error) string {
	if err == nil {
		return outcomeOK
	}
	return liaison.ErrorCode(err)
}

// countWrites counts each candidate of an AddObjects call by its fate.
func (m *Metrics) countWrites(res liaison.WriteResult) {
	var written, present, conflicting int
	for _, a := range res.Accepted {
		switch {
		case a.Conflict != "":
			conflicting++
		case a.Present:
			present++
		default:
			written++
		}
	}
	for r, n := range map[string]int{resultWritten: written, resultPresent: present, resultConflicting: conflicting, resultRejected: len(res.Rejected)} {
		if n > 0 {
			m.objects.WithLabelValues(r).Add(float64(n))
		}
	}
}

func (s *store) Close() (err error) {
	defer s.observe("Close", time.Now(), &err)
	return s.next.Close()
}

// DirectoryService

func (s *store) CreateOrganisation(ctx context.Context, o liaison.Organisation) (err error) {
	defer s.recompute("CreateOrganisation", time.Now(), &err)
	return s.next.CreateOrganisation(ctx, o)
}

func (s *store) Organisation(ctx context.Context, code string) (_ liaison.Organisation, err error) {
	defer s.observe("Organisation", time.Now(), &err)
	return s.next.Organisation(ctx, code)
}

func (s *store) Organisations(ctx context.Context) (_ []liaison.Organisation, err error) {
	defer s.observe("Organisations", time.Now(), &err)
	return s.next.Organisations(ctx)
}

func (s *store) CreateCommunity(ctx context.Context, c liaison.Community) (err error) {
	defer s.recompute("CreateCommunity", time.Now(), &err)
	return s.next.CreateCommunity(ctx, c)
}

func (s *store) SetCommunityMembers(ctx context.Context, name string, members []string) (err error) {
	defer s.recompute("SetCommunityMembers", time.Now(), &err)
	return s.next.SetCommunityMembers(ctx, name, members)
}

func (s *store) Communities(ctx context.Context) (_ []liaison.Community, err error) {
	defer s.observe("Communities", time.Now(), &err)
	return s.next.Communities(ctx)
}

func (s *store) CreateAgreement(ctx context.Context, a *liaison.Agreement) (err error) {
	defer s.recompute("CreateAgreement", time.Now(), &err)
	return s.next.CreateAgreement(ctx, a)
}

func (s *store) UpdateAgreement(ctx context.Context, a liaison.Agreement) (err error) {
	defer s.recompute("UpdateAgreement", time.Now(), &err)
	return s.next.UpdateAgreement(ctx, a)
}

func (s *store) Agreements(ctx context.Context) (_ []liaison.Agreement, err error) {
	defer s.observe("Agreements", time.Now(), &err)
	return s.next.Agreements(ctx)
}

func (s *store) UpdateOrganisation(ctx context.Context, o liaison.Organisation) (err error) {
	defer s.recompute("UpdateOrganisation", time.Now(), &err)
	return s.next.UpdateOrganisation(ctx, o)
}

func (s *store) PreviewDirectory(ctx context.Context, reader liaison.Principal, c liaison.DirectoryChange) (_ liaison.DirectoryEffect, err error) {
	defer s.observe("PreviewDirectory", time.Now(), &err)
	return s.next.PreviewDirectory(ctx, reader, c)
}

func (s *store) RecordObjectiveProgress(ctx context.Context, p *liaison.ObjectiveProgress) (err error) {
	defer s.observe("RecordObjectiveProgress", time.Now(), &err)
	return s.next.RecordObjectiveProgress(ctx, p)
}

func (s *store) ObjectiveProgress(ctx context.Context, agreement int64) (_ []liaison.ObjectiveProgress, err error) {
	defer s.observe("ObjectiveProgress", time.Now(), &err)
	return s.next.ObjectiveProgress(ctx, agreement)
}

func (s *store) Directory(ctx context.Context) (_ *liaison.Directory, err error) {
	defer s.observe("Directory", time.Now(), &err)
	return s.next.Directory(ctx)
}

func (s *store) RecomputeAudiences(ctx context.Context) (err error) {
	defer s.recompute("RecomputeAudiences", time.Now(), &err)
	return s.next.RecomputeAudiences(ctx)
}

// UserService

func (s *store) CreateUser(ctx context.Context, p *liaison.Principal, password string) (err error) {
	defer s.observe("CreateUser", time.Now(), &err)
	return s.next.CreateUser(ctx, p, password)
}

func (s *store) User(ctx context.Context, name string) (_ liaison.Principal, err error) {
	defer s.observe("User", time.Now(), &err)
	return s.next.User(ctx, name)
}

func (s *store) Users(ctx context.Context) (_ []liaison.Principal, err error) {
	defer s.observe("Users", time.Now(), &err)
	return s.next.Users(ctx)
}

func (s *store) Authenticate(ctx context.Context, name, password string) (_ liaison.Principal, err error) {
	defer s.observe("Authenticate", time.Now(), &err)
	return s.next.Authenticate(ctx, name, password)
}

func (s *store) SetPassword(ctx context.Context, name, password string) (err error) {
	defer s.observe("SetPassword", time.Now(), &err)
	return s.next.SetPassword(ctx, name, password)
}

func (s *store) SetRoles(ctx context.Context, name string, roles []liaison.Role) (err error) {
	defer s.observe("SetRoles", time.Now(), &err)
	return s.next.SetRoles(ctx, name, roles)
}

func (s *store) SetDisabled(ctx context.Context, name string, disabled bool) (err error) {
	defer s.observe("SetDisabled", time.Now(), &err)
	return s.next.SetDisabled(ctx, name, disabled)
}

func (s *store) CredentialStamp(ctx context.Context, name string) (_ string, err error) {
	defer s.observe("CredentialStamp", time.Now(), &err)
	return s.next.CredentialStamp(ctx, name)
}

func (s *store) CreateToken(ctx context.Context, user string) (_ liaison.Token, _ string, err error) {
	defer s.observe("CreateToken", time.Now(), &err)
	return s.next.CreateToken(ctx, user)
}

func (s *store) RevokeToken(ctx context.Context, id string) (err error) {
	defer s.observe("RevokeToken", time.Now(), &err)
	return s.next.RevokeToken(ctx, id)
}

func (s *store) Tokens(ctx context.Context, user string) (_ []liaison.Token, err error) {
	defer s.observe("Tokens", time.Now(), &err)
	return s.next.Tokens(ctx, user)
}

func (s *store) PrincipalByToken(ctx context.Context, secret string) (_ liaison.Principal, err error) {
	defer s.observe("PrincipalByToken", time.Now(), &err)
	return s.next.PrincipalByToken(ctx, secret)
}

// CollectionService

func (s *store) CreateCollection(ctx context.Context, c *liaison.Collection) (err error) {
	defer s.observe("CreateCollection", time.Now(), &err)
	return s.next.CreateCollection(ctx, c)
}

func (s *store) UpdateCollection(ctx context.Context, c *liaison.Collection) (err error) {
	defer s.observe("UpdateCollection", time.Now(), &err)
	return s.next.UpdateCollection(ctx, c)
}

func (s *store) SetMatchOnIngest(ctx context.Context, collection string, on bool) (err error) {
	defer s.observe("SetMatchOnIngest", time.Now(), &err)
	return s.next.SetMatchOnIngest(ctx, collection, on)
}

func (s *store) MatchOnIngest(ctx context.Context) (_ []string, err error) {
	defer s.observe("MatchOnIngest", time.Now(), &err)
	return s.next.MatchOnIngest(ctx)
}

func (s *store) AllCollections(ctx context.Context) (_ []liaison.Collection, err error) {
	defer s.observe("AllCollections", time.Now(), &err)
	return s.next.AllCollections(ctx)
}

func (s *store) Collections(ctx context.Context, reader liaison.Principal) (_ []liaison.CollectionAccess, err error) {
	defer s.observe("Collections", time.Now(), &err)
	return s.next.Collections(ctx, reader)
}

func (s *store) Collection(ctx context.Context, reader liaison.Principal, id string) (_ liaison.CollectionAccess, err error) {
	defer s.observe("Collection", time.Now(), &err)
	return s.next.Collection(ctx, reader, id)
}

// ObjectService

func (s *store) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (res liaison.WriteResult, err error) {
	defer s.observe("AddObjects", time.Now(), &err)
	res, err = s.next.AddObjects(ctx, writer, collection, objs)
	s.m.countWrites(res)
	return res, err
}

func (s *store) Objects(ctx context.Context, reader liaison.Principal, collection string, q liaison.ObjectQuery) (_ liaison.ObjectPage, err error) {
	defer s.observe("Objects", time.Now(), &err)
	return s.next.Objects(ctx, reader, collection, q)
}

func (s *store) DeleteObject(ctx context.Context, writer liaison.Principal, collection, id string, q liaison.ObjectQuery) (_ int, err error) {
	defer s.observe("DeleteObject", time.Now(), &err)
	return s.next.DeleteObject(ctx, writer, collection, id, q)
}

func (s *store) Marking(ctx context.Context, id string) (_ liaison.Marking, err error) {
	defer s.observe("Marking", time.Now(), &err)
	return s.next.Marking(ctx, id)
}

func (s *store) RelatedAfter(ctx context.Context, reader liaison.Principal, id, after string, limit int) (_ []liaison.Version, _ string, err error) {
	defer s.observe("RelatedAfter", time.Now(), &err)
	return s.next.RelatedAfter(ctx, reader, id, after, limit)
}

func (s *store) Related(ctx context.Context, reader liaison.Principal, id string, limit int) (_ []liaison.Version, _ bool, err error) {
	defer s.observe("Related", time.Now(), &err)
	return s.next.Related(ctx, reader, id, limit)
}

func (s *store) ExplainAudience(ctx context.Context, reader liaison.Principal, collection, id string, version time.Time) (_ liaison.Explanation, err error) {
	defer s.observe("ExplainAudience", time.Now(), &err)
	return s.next.ExplainAudience(ctx, reader, collection, id, version)
}

func (s *store) Search(ctx context.Context, reader liaison.Principal, q liaison.SearchQuery) (_ liaison.SearchPage, err error) {
	defer s.observe("Search", time.Now(), &err)
	return s.next.Search(ctx, reader, q)
}

func (s *store) Activity(ctx context.Context, reader liaison.Principal, q liaison.ActivityQuery) (_ []liaison.ActivityCount, err error) {
	defer s.observe("Activity", time.Now(), &err)
	return s.next.Activity(ctx, reader, q)
}

// StatusService

func (s *store) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (res liaison.WriteResult, err error) {
	defer s.observe("AddObjectsWithStatus", time.Now(), &err)
	res, err = s.next.AddObjectsWithStatus(ctx, writer, collection, objs, status)
	s.m.countWrites(res)
	return res, err
}

func (s *store) SaveStatus(ctx context.Context, st liaison.Status) (err error) {
	defer s.observe("SaveStatus", time.Now(), &err)
	return s.next.SaveStatus(ctx, st)
}

func (s *store) Status(ctx context.Context, reader liaison.Principal, id string) (_ liaison.Status, err error) {
	defer s.observe("Status", time.Now(), &err)
	return s.next.Status(ctx, reader, id)
}

// ConsultationService

func (s *store) CreateConsultation(ctx context.Context, by liaison.Principal, c *liaison.Consultation) (err error) {
	defer s.observe("CreateConsultation", time.Now(), &err)
	return s.next.CreateConsultation(ctx, by, c)
}

func (s *store) Consultation(ctx context.Context, reader liaison.Principal, id int64) (_ liaison.Consultation, err error) {
	defer s.observe("Consultation", time.Now(), &err)
	return s.next.Consultation(ctx, reader, id)
}

func (s *store) Consultations(ctx context.Context, reader liaison.Principal, f liaison.ConsultationFilter) (_ []liaison.Consultation, err error) {
	defer s.observe("Consultations", time.Now(), &err)
	return s.next.Consultations(ctx, reader, f)
}

func (s *store) SetConsultationStatus(ctx context.Context, by liaison.Principal, id int64, to liaison.ConsultationStatus, reason string) (_ liaison.Consultation, err error) {
	defer s.observe("SetConsultationStatus", time.Now(), &err)
	return s.next.SetConsultationStatus(ctx, by, id, to, reason)
}

func (s *store) RecordOutcome(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (_ liaison.Consultation, err error) {
	defer s.observe("RecordOutcome", time.Now(), &err)
	return s.next.RecordOutcome(ctx, by, id, o)
}

func (s *store) ConcludeConsultation(ctx context.Context, by liaison.Principal, id int64, o liaison.Outcome) (_ liaison.Consultation, err error) {
	defer s.observe("ConcludeConsultation", time.Now(), &err)
	return s.next.ConcludeConsultation(ctx, by, id, o)
}

func (s *store) SetActionStatus(ctx context.Context, by liaison.Principal, id int64, i int, st liaison.ActionStatus) (_ liaison.Consultation, err error) {
	defer s.observe("SetActionStatus", time.Now(), &err)
	return s.next.SetActionStatus(ctx, by, id, i, st)
}

func (s *store) PublishOutcome(ctx context.Context, by liaison.Principal, id int64, r liaison.PublishRequest) (_ liaison.Consultation, err error) {
	defer s.observe("PublishOutcome", time.Now(), &err)
	return s.next.PublishOutcome(ctx, by, id, r)
}

func (s *store) Contribute(ctx context.Context, by liaison.Principal, c *liaison.Contribution) (err error) {
	defer s.observe("Contribute", time.Now(), &err)
	return s.next.Contribute(ctx, by, c)
}

func (s *store) EditContribution(ctx context.Context, by liaison.Principal, id int64, text string, refs []string) (_ liaison.Contribution, err error) {
	defer s.observe("EditContribution", time.Now(), &err)
	return s.next.EditContribution(ctx, by, id, text, refs)
}

func (s *store) WithdrawContribution(ctx context.Context, by liaison.Principal, id int64, reason string) (_ liaison.Contribution, err error) {
	defer s.observe("WithdrawContribution", time.Now(), &err)
	return s.next.WithdrawContribution(ctx, by, id, reason)
}

func (s *store) Contributions(ctx context.Context, reader liaison.Principal, consultation int64) (_ []liaison.Contribution, err error) {
	defer s.observe("Contributions", time.Now(), &err)
	return s.next.Contributions(ctx, reader, consultation)
}

// DecisionService

func (s *store) CreateProposal(ctx context.Context, by liaison.Principal, p *liaison.Proposal) (err error) {
	defer s.observe("CreateProposal", time.Now(), &err)
	return s.next.CreateProposal(ctx, by, p)
}

func (s *store) Proposal(ctx context.Context, reader liaison.Principal, id int64) (_ liaison.Proposal, err error) {
	defer s.observe("Proposal", time.Now(), &err)
	return s.next.Proposal(ctx, reader, id)
}

func (s *store) Proposals(ctx context.Context, reader liaison.Principal) (_ []liaison.Proposal, err error) {
	defer s.observe("Proposals", time.Now(), &err)
	return s.next.Proposals(ctx, reader)
}

func (s *store) Act(ctx context.Context, by liaison.Principal, id int64, a liaison.ProposalAct) (_ liaison.Proposal, err error) {
	defer s.observe("Act", time.Now(), &err)
	return s.next.Act(ctx, by, id, a)
}

// MatchService

func (s *store) Match(ctx context.Context, submitter liaison.Principal, req liaison.MatchRequest) (_ liaison.MatchResult, err error) {
	defer s.observe("Match", time.Now(), &err)
	return s.next.Match(ctx, submitter, req)
}

func (s *store) CountUses(ctx context.Context, reader liaison.Principal, q liaison.UseQuery) (_ map[string]int, err error) {
	defer s.observe("CountUses", time.Now(), &err)
	return s.next.CountUses(ctx, reader, q)
}
