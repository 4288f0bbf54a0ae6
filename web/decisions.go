package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"liaison"
)

// decisionRoutes lists the pages of draft decisions: the list with the
// form that tables a draft, each proposal's page, and the forms that act
// on it. Every form carries the session's CSRF token; the decision
// service decides who may do what, and the pages only leave out the
// controls a reader may not use.
func (s *Server) decisionRoutes() {
	s.handle("GET /decisions", s.signedIn(s.decisionsPage))
	s.handle("POST /decisions", s.signedIn(s.tableProposal))
	s.handle("GET /decisions/{id}", s.signedIn(s.decisionPage))
	s.handle("POST /decisions/{id}/{action}", s.signedIn(s.actOnProposalForm))
}

// specLabel is the label a consultation's or a proposal's marking gives
// the page that shows it, so that the banner covers it.
func specLabel(m liaison.MarkingSpec, originator string) label {
	l := label{Originator: originator}
	if c, err := liaison.ParseClassification(m.Classification); err == nil && m.Classification != "" {
		l.Classification = c
	}
	if t, err := liaison.ParseTLP(m.TLP); err == nil {
		l.TLP = t
	}
	if m.ReleasableTo != nil {
		l.Lists = [][]string{slices.Clone(m.ReleasableTo)}
	}
	return l
}

// proposalRow is one proposal in the list.
type proposalRow struct {
	ID        int64
	Title     string
	Proposer  string
	Procedure string
	Status    string
	Deadline  timeView
	Left      string
	Badges    []badge
}

type proposalGroup struct {
	ID, Heading, Empty string
	Rows               []proposalRow
}

type decisionsView struct {
	Groups   []proposalGroup
	CanTable bool
	Form     markingForm
}

// markingForm is what the marking picker offers.
type markingForm struct {
	Classifications []string
	TLPs            []string
}

func newMarkingForm() markingForm {
	return markingForm{
		Classifications: []string{"NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET"},
		TLPs:            []string{"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"},
	}
}

// decisionsPage lists the proposals the reader may see, by where they
// stand, with the form that tables a draft for those who may.
func (s *Server) decisionsPage(p *page) error {
	ctx := p.r.Context()
	list, err := s.decide.Proposals(ctx, *p.p)
	if err != nil {
		return err
	}
	groups := []proposalGroup{
		{ID: "open", Heading: "Circulating", Empty: "No proposal is circulating."},
		{ID: "blocked", Heading: "Blocked or lapsed", Empty: "No proposal is blocked."},
		{ID: "draft", Heading: "Drafts", Empty: "No draft."},
		{ID: "adopted", Heading: "Adopted", Empty: "None adopted yet."},
		{ID: "withdrawn", Heading: "Withdrawn", Empty: "None withdrawn."},
	}
	at := map[liaison.ProposalStatus]int{
		liaison.ProposalCirculating: 0, liaison.ProposalBlocked: 1, liaison.ProposalLapsed: 1,
		liaison.ProposalDraft: 2, liaison.ProposalAdopted: 3, liaison.ProposalWithdrawn: 4,
	}
	for _, pr := range list {
		l := specLabel(pr.Marking, pr.Proposer)
		p.show(l)
		row := proposalRow{ID: pr.ID, Title: pr.Title, Proposer: pr.Proposer, Procedure: string(pr.Procedure), Status: statusWords(pr.Status), Badges: badges(l)}
		if pr.Status == liaison.ProposalCirculating {
			row.Deadline = p.when(pr.Deadline)
			row.Left = timeLeft(pr.Deadline.Sub(pr.AsOf))
		}
		i, ok := at[pr.Status]
		if !ok {
			i = 2
		}
		groups[i].Rows = append(groups[i].Rows, row)
	}
	can, err := s.mayTable(p)
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "decisions.html", "Decisions", "decisions", decisionsView{Groups: groups, CanTable: can, Form: newMarkingForm()})
}

// mayTable reports whether the reader may table a draft: an officer of an
// ally or a NATO body.
func (s *Server) mayTable(p *page) (bool, error) {
	if !p.p.HasRole(liaison.RoleOfficer) {
		return false, nil
	}
	kind, err := s.orgKind(p)
	return kind == liaison.Ally || kind == liaison.NATOBody, err
}

// orgKind is the kind of the reader's organisation.
func (s *Server) orgKind(p *page) (liaison.OrgKind, error) {
	o, err := s.store.Organisation(p.r.Context(), p.p.Org)
	if err != nil {
		if liaison.ErrorCode(err) == liaison.ENOTFOUND {
			return "", nil
		}
		return "", fmt.Errorf("web: the reader's organisation: %w", err)
	}
	return o.Kind, nil
}

// formMarking reads the marking picker's fields: classification, a
// releasable-to list of codes and communities separated by commas or
// spaces, and TLP.
func formMarking(r *http.Request) liaison.MarkingSpec {
	m := liaison.MarkingSpec{Classification: strings.TrimSpace(r.PostForm.Get("classification")), TLP: strings.TrimSpace(r.PostForm.Get("tlp"))}
	if rel := strings.FieldsFunc(r.PostForm.Get("releasable_to"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' }); len(rel) > 0 {
		for i := range rel {
			rel[i] = strings.ToUpper(rel[i])
		}
		m.ReleasableTo = rel
	}
	return m
}

// tableProposal tables a draft from the form, then shows its page.
func (s *Server) tableProposal(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	f := p.r.PostForm
	pr := liaison.Proposal{Title: f.Get("title"), Text: f.Get("text"), Procedure: liaison.Procedure(f.Get("procedure")), Marking: formMarking(p.r)}
	if err := s.decide.CreateProposal(p.r.Context(), *p.p, &pr); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/decisions/%d", pr.ID), http.StatusSeeOther)
	return nil
}

// formActions are the actions a form may post, by the last part of its
// path.
var formActions = map[string]liaison.DecisionActionKind{
	"circulate": liaison.ActCirculate, "break-silence": liaison.ActBreakSilence, "concur": liaison.ActConcur,
	"object": liaison.ActObject, "revise": liaison.ActRevise, "withdraw": liaison.ActWithdraw, "comment": liaison.ActComment,
}

// actOnProposalForm performs one action from a proposal page's form. The
// decision service refuses what the reader may not do, whatever the page
// offered: a forged break-silence from a partner is a 403 page.
func (s *Server) actOnProposalForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	id, err := pathID(p.r, "id", "proposal")
	if err != nil {
		return err
	}
	kind, ok := formActions[p.r.PathValue("action")]
	if !ok {
		return liaison.Errorf(liaison.ENOTFOUND, "there is no page at %s", truncate(p.r.URL.Path, 100))
	}
	f := p.r.PostForm
	act := liaison.ProposalAct{Kind: kind, Reason: f.Get("reason"), Title: f.Get("title"), Text: f.Get("text")}
	if kind == liaison.ActCirculate {
		if act.Deadline, err = formTime(f.Get("deadline"), "deadline", p.zone); err != nil {
			return err
		}
	}
	if _, err := s.decide.Act(p.r.Context(), *p.p, id, act); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/decisions/%d#status", id), http.StatusSeeOther)
	return nil
}

// formTime reads a date and time from a form's datetime-local field, in
// the reader's zone, or one with its own offset (RFC 3339).
func formTime(v, field string, zone *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, liaison.Errorf(liaison.EINVALID, "%s: want a date and time such as 2026-03-02T09:00 (in %s)", field, zone)
}

// statusWords says a proposal's status for people.
func statusWords(s liaison.ProposalStatus) string {
	switch s {
	case liaison.ProposalCirculating:
		return "circulating"
	case liaison.ProposalBlocked:
		return "blocked"
	case liaison.ProposalLapsed:
		return "lapsed"
	case liaison.ProposalAdopted:
		return "adopted"
	case liaison.ProposalWithdrawn:
		return "withdrawn"
	}
	return "draft"
}

// timeLeft says how long is left, such as "2 days 3 hours" or "passed".
func timeLeft(d time.Duration) string {
	if d <= 0 {
		return "passed"
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	unit := func(n int, u string) string {
		if n == 1 {
			return "1 " + u
		}
		return fmt.Sprintf("%d %ss", n, u)
	}
	switch {
	case days > 0:
		return strings.TrimSuffix(unit(days, "day")+" "+unit(hours, "hour"), " 0 hours")
	case hours > 0:
		return strings.TrimSuffix(unit(hours, "hour")+" "+unit(mins, "minute"), " 0 minutes")
	case mins > 0:
		return unit(mins, "minute")
	}
	return "less than a minute"
}

// roundRow is one round as the page shows it.
type roundRow struct {
	Number      int
	Circulated  timeView
	Deadline    timeView
	Result      string
	Blocker     string
	BlockReason string
	Settled     timeView
}

// recordRow is one entry of the record.
type recordRow struct {
	Seq    int
	Kind   string
	Round  int
	User   string
	Org    string
	At     timeView
	Reason string
	Text   string
	Title  string
}

// decisionView is the proposal page.
type decisionView struct {
	P         liaison.Proposal
	Status    string
	Badges    []badge
	Grid      gridPicture
	HasGrid   bool
	RoundNo   int
	Deadline  timeView
	Brussels  string
	Left      string
	Rounds    []roundRow
	Record    []recordRow
	Can       proposalControls
	MinDate   string // the earliest deadline the form offers, in the reader's zone
	ZoneName  string
	Procedure string
}

// proposalControls are the forms the page offers this reader.
type proposalControls struct {
	Circulate, Revise, Withdraw bool
	BreakSilence, Concur        bool // Concur offers object too
	Comment                     bool
	Any                         bool
}

// decisionPage shows one proposal: its status as a grid of the allies who
// decide, the deadline and time left, the rounds, the record, and the
// forms this reader may use.
func (s *Server) decisionPage(p *page) error {
	id, err := pathID(p.r, "id", "proposal")
	if err != nil {
		return err
	}
	pr, err := s.decide.Proposal(p.r.Context(), *p.p, id)
	if err != nil {
		return err
	}
	l := specLabel(pr.Marking, pr.Proposer)
	p.show(l)
	v := decisionView{P: pr, Status: statusWords(pr.Status), Badges: badges(l), ZoneName: p.zone.String(), Procedure: procedureWords(pr.Procedure)}
	if n := len(pr.Rounds); n > 0 {
		last := pr.Rounds[n-1]
		v.HasGrid, v.RoundNo = true, last.Number
		v.Grid = decisionGrid(pr, last)
		v.Deadline = p.when(last.Deadline)
		if bru, err := time.LoadLocation("Europe/Brussels"); err == nil {
			v.Brussels = last.Deadline.In(bru).Format("2006-01-02 15:04 MST")
		}
		if pr.Status == liaison.ProposalCirculating {
			v.Left = timeLeft(last.Deadline.Sub(pr.AsOf))
		}
	}
	for _, r := range pr.Rounds {
		v.Rounds = append(v.Rounds, roundRow{Number: r.Number, Circulated: p.when(r.Circulated), Deadline: p.when(r.Deadline),
			Result: statusWords(r.Result), Blocker: r.Blocker, BlockReason: r.BlockReason, Settled: p.when(r.Settled)})
	}
	for _, e := range pr.Record {
		v.Record = append(v.Record, recordRow{Seq: e.Seq, Kind: actionWords(e.Kind), Round: e.Round, User: e.User, Org: e.Org, At: p.when(e.At), Reason: e.Reason, Text: e.Text, Title: e.Title})
	}
	if v.Can, err = s.controls(p, pr); err != nil {
		return err
	}
	v.MinDate = pr.AsOf.In(p.zone).Add(time.Minute).Format("2006-01-02T15:04")
	return p.render(http.StatusOK, "decision.html", pr.Title, "decisions", v)
}

// controls works out which forms to offer: the engine refuses the rest
// anyway, but a reader must never be shown a control they may not use.
func (s *Server) controls(p *page, pr liaison.Proposal) (proposalControls, error) {
	var c proposalControls
	final := pr.Status == liaison.ProposalAdopted || pr.Status == liaison.ProposalWithdrawn
	if final {
		return c, nil
	}
	officer := p.p.HasRole(liaison.RoleOfficer)
	proposer := officer && p.p.Org == pr.Proposer
	c.Comment = true
	c.Withdraw = proposer
	c.Circulate = proposer && pr.Status == liaison.ProposalDraft
	c.Revise = proposer && pr.Status != liaison.ProposalCirculating
	if pr.Status == liaison.ProposalCirculating && officer && slices.Contains(pr.Allies, p.p.Org) {
		kind, err := s.orgKind(p)
		if err != nil {
			return c, err
		}
		if kind == liaison.Ally && !concurred(pr, p.p.Org) {
			c.BreakSilence = pr.Procedure == liaison.SilenceProcedure
			c.Concur = pr.Procedure == liaison.ConcurrenceProcedure
		}
	}
	c.Any = true
	return c, nil
}

func concurred(pr liaison.Proposal, org string) bool {
	if n := len(pr.Rounds); n > 0 {
		return slices.Contains(pr.Rounds[n-1].Concurred, org)
	}
	return false
}

func procedureWords(p liaison.Procedure) string {
	if p == liaison.ConcurrenceProcedure {
		return "concurrence: every ally must concur by the deadline; one objection blocks"
	}
	return "silence: adopted at the deadline unless an ally breaks silence"
}

func actionWords(k liaison.DecisionActionKind) string {
	switch k {
	case liaison.ActCreate:
		return "tabled"
	case liaison.ActCirculate:
		return "circulated"
	case liaison.ActBreakSilence:
		return "broke silence"
	case liaison.ActConcur:
		return "concurred"
	case liaison.ActObject:
		return "objected"
	case liaison.ActRevise:
		return "revised"
	case liaison.ActWithdraw:
		return "withdrew"
	case liaison.ActComment:
		return "commented"
	}
	return string(k)
}
