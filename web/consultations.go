package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/consult"
)

// consultationRoutes lists the pages of consultations: the list with the
// form that creates one, each consultation's page with its contributions
// and outcome, and the forms that change them. The consultation service
// decides who may do what; the pages only leave out the controls a
// reader may not use.
func (s *Server) consultationRoutes() {
	s.handle("GET /consultations", s.signedIn(s.consultationsPage))
	s.handle("POST /consultations", s.signedIn(s.createConsultationForm))
	s.handle("GET /consultations/{id}", s.signedIn(s.consultationPage))
	s.handle("POST /consultations/{id}/{action}", s.signedIn(s.consultationForm))
	s.handle("POST /consultations/{id}/actions/{i}", s.signedIn(s.actionStatusForm))
	s.handle("POST /contributions/{id}/{action}", s.signedIn(s.contributionForm))
}

type consultationRow struct {
	ID                       int64
	Title, Convenor, Status  string
	Format, Topics, Partners string
	When                     timeView
	Badges                   []badge
}

type consultationsView struct {
	Rows      []consultationRow
	CanCreate bool
	Form      markingForm
	Status    string
	Statuses  []string
}

// consultationsPage lists the consultations the reader may see, newest
// first, narrowed by status.
func (s *Server) consultationsPage(p *page) error {
	status := p.r.URL.Query().Get("status")
	list, err := s.consult.Consultations(p.r.Context(), *p.p, liaison.ConsultationFilter{Status: liaison.ConsultationStatus(status)})
	if err != nil {
		return err
	}
	v := consultationsView{Form: newMarkingForm(), Status: status, Statuses: []string{"draft", "open", "concluded", "cancelled"}}
	for _, c := range list {
		l := specLabel(c.Marking, c.Convenor)
		p.show(l)
		when := c.Start
		if c.Format == liaison.FormatWritten {
			when = c.Deadline
		}
		v.Rows = append(v.Rows, consultationRow{ID: c.ID, Title: c.Title, Convenor: c.Convenor, Status: string(c.Status), Format: string(c.Format),
			Topics: strings.Join(c.Topics, ", "), Partners: strings.Join(c.Participants, ", "), When: p.when(when), Badges: badges(l)})
	}
	if v.CanCreate, err = s.mayTable(p); err != nil {
		return err
	}
	return p.render(http.StatusOK, "consultations.html", "Consultations", "consultations", v)
}

// splitList reads a form field of codes or words separated by commas or
// spaces.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' || c == ';' || c == '\n' || c == '\r' })
}

func (s *Server) createConsultationForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	f := p.r.PostForm
	c := liaison.Consultation{Title: f.Get("title"), Convenor: p.p.Org, Format: liaison.ConsultationFormat(f.Get("format")), Place: f.Get("place"), Marking: formMarking(p.r)}
	c.Topics = splitList(strings.ToLower(f.Get("topics")))
	c.Participants = splitList(strings.ToUpper(f.Get("participants")))
	for _, line := range strings.Split(f.Get("agenda"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			c.Agenda = append(c.Agenda, liaison.AgendaItem{Title: line})
		}
	}
	var err error
	if c.Format == liaison.FormatMeeting {
		if c.Start, err = formTime(f.Get("start"), "start", p.zone); err != nil {
			return err
		}
		mins, err := strconv.Atoi(strings.TrimSpace(f.Get("duration")))
		if err != nil || mins <= 0 {
			return liaison.Errorf(liaison.EINVALID, "duration: want a whole number of minutes such as 90")
		}
		c.Duration = time.Duration(mins) * time.Minute
	} else if c.Deadline, err = formTime(f.Get("deadline"), "deadline", p.zone); err != nil {
		return err
	}
	if err := s.consult.CreateConsultation(p.r.Context(), *p.p, &c); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/consultations/%d", c.ID), http.StatusSeeOther)
	return nil
}

type contributionView struct {
	K       liaison.Contribution
	Created timeView
	Updated timeView
	History []revisionView
	Mine    bool
}

type revisionView struct {
	liaison.ContributionRevision
	At timeView
}

type agendaView struct {
	Number        int
	Title         string
	Contributions []contributionView
}

type actionView struct {
	I                  int
	Text, Owner, State string
	Due                timeView
	CanSet             bool
}

type pickItem struct {
	ID, Title, Type string
	Badges          []badge
}

type consultationView struct {
	C          liaison.Consultation
	Badges     []badge
	Start      timeView
	Deadline   timeView
	Agenda     []agendaView
	Actions    []actionView
	Summary    string
	Recorded   timeView
	Convenor   bool // the reader is an officer of the convenor
	Contribute bool
	Open       bool
	Orgs       []string
	Writable   []liaison.CollectionAccess
	Pick       []pickItem
	PickType   string
	PickQuery  string
	PickTypes  []string
	Published  timeView
	// ActionRows numbers the empty action rows of the outcome form;
	// ActionStates are the statuses an action may take.
	ActionRows   []int
	ActionStates []string
}

// consultationPage shows one consultation: its details and agenda, the
// contributions with their history, the outcome and its actions, and the
// forms this reader may use. References appear only when the reader may
// read them (the service removes the rest), and the reference picker
// lists only objects the reader may read.
func (s *Server) consultationPage(p *page) error {
	ctx := p.r.Context()
	id, err := pathID(p.r, "id", "consultation")
	if err != nil {
		return err
	}
	c, err := s.consult.Consultation(ctx, *p.p, id)
	if err != nil {
		return err
	}
	ks, err := s.consult.Contributions(ctx, *p.p, id)
	if err != nil {
		return err
	}
	l := specLabel(c.Marking, c.Convenor)
	p.show(l)
	officer := p.p.HasRole(liaison.RoleOfficer)
	v := consultationView{C: c, Badges: badges(l), Start: p.when(c.Start), Deadline: p.when(c.Deadline),
		Convenor: officer && p.p.Org == c.Convenor, Open: c.Status == liaison.ConsultationOpen}
	v.Contribute = v.Open && p.p.HasRole(liaison.RoleAnalyst)
	v.ActionRows, v.ActionStates = []int{1, 2, 3}, []string{"open", "done", "dropped"}
	items := append([]liaison.AgendaItem{{Number: 0, Title: "General"}}, c.Agenda...)
	at := map[int]int{}
	for i, a := range items {
		at[a.Number] = i
		v.Agenda = append(v.Agenda, agendaView{Number: a.Number, Title: a.Title})
	}
	for _, k := range ks {
		kv := contributionView{K: k, Created: p.when(k.Created), Updated: p.when(k.Updated), Mine: k.AuthorID == p.p.ID && k.Author == p.p.Name && !k.Withdrawn && v.Open}
		for _, h := range k.History {
			kv.History = append(kv.History, revisionView{ContributionRevision: h, At: p.when(h.At)})
		}
		i, ok := at[k.AgendaItem]
		if !ok {
			i = 0
		}
		v.Agenda[i].Contributions = append(v.Agenda[i].Contributions, kv)
	}
	if c.Outcome != nil {
		v.Summary, v.Recorded = c.Outcome.Summary, p.when(c.Outcome.RecordedAt)
		for i, a := range c.Outcome.Actions {
			v.Actions = append(v.Actions, actionView{I: i, Text: a.Text, Owner: a.Owner, State: string(a.Status), Due: p.when(a.Due),
				CanSet: officer && (p.p.Org == c.Convenor || p.p.Org == a.Owner)})
		}
	}
	if c.Published != nil {
		v.Published = p.when(c.Published.At)
	}
	if v.Convenor {
		d, err := s.store.Directory(ctx)
		if err != nil {
			return err
		}
		v.Orgs = consult.Participating(c, d)
		colls, err := s.store.Collections(ctx, *p.p)
		if err != nil {
			return err
		}
		for _, col := range colls {
			if col.CanWrite {
				v.Writable = append(v.Writable, col)
			}
		}
	}
	if v.Contribute {
		if err := s.pickRefs(p, &v); err != nil {
			return err
		}
	}
	return p.render(http.StatusOK, "consultation.html", c.Title, "consultations", v)
}

// pickTypes are the kinds of object the reference picker offers.
var pickTypes = []string{"indicator", "malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern", "report", "vulnerability", "tool", "infrastructure"}

// pickRefs fills the reference picker: the latest versions of one type,
// from the collections the reader may read, through the store's
// reader-filtered query, narrowed by a word in the title. Each object
// listed counts towards the page's banner.
func (s *Server) pickRefs(p *page, v *consultationView) error {
	q := p.r.URL.Query()
	v.PickTypes = pickTypes
	v.PickType = q.Get("pick")
	v.PickQuery = strings.TrimSpace(q.Get("q"))
	if v.PickType == "" {
		return nil
	}
	if !slices.Contains(pickTypes, v.PickType) {
		return liaison.Errorf(liaison.EINVALID, "pick: %q is not a type the picker offers; want one of %s", truncate(v.PickType, 40), strings.Join(pickTypes, ", "))
	}
	colls, err := s.readable(p)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, col := range colls {
		pg, err := s.store.Objects(p.r.Context(), *p.p, col.ID, liaison.ObjectQuery{Types: []string{v.PickType}, Limit: 100})
		if err != nil {
			return err
		}
		for _, ver := range pg.Versions {
			title := fieldsOf(ver.Raw).title(ver.Type)
			if seen[ver.ID] || (v.PickQuery != "" && !strings.Contains(strings.ToLower(title), strings.ToLower(v.PickQuery))) {
				continue
			}
			lab, err := p.label(ver)
			if err != nil {
				return err
			}
			seen[ver.ID] = true
			v.Pick = append(v.Pick, pickItem{ID: ver.ID, Title: title, Type: ver.Type, Badges: badges(lab)})
			if len(v.Pick) == 50 {
				return nil
			}
		}
	}
	return nil
}

// consultationForm performs one change from a consultation page's form.
func (s *Server) consultationForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	ctx := p.r.Context()
	id, err := pathID(p.r, "id", "consultation")
	if err != nil {
		return err
	}
	f := p.r.PostForm
	back := fmt.Sprintf("/consultations/%d", id)
	switch p.r.PathValue("action") {
	case "open":
		_, err = s.consult.SetConsultationStatus(ctx, *p.p, id, liaison.ConsultationOpen, "")
	case "cancel":
		_, err = s.consult.SetConsultationStatus(ctx, *p.p, id, liaison.ConsultationCancelled, f.Get("reason"))
	case "outcome", "conclude":
		var o liaison.Outcome
		if o, err = formOutcome(p); err != nil {
			return err
		}
		if p.r.PathValue("action") == "outcome" {
			_, err = s.consult.RecordOutcome(ctx, *p.p, id, o)
			back += "#outcome"
			break
		}
		if _, err = s.consult.ConcludeConsultation(ctx, *p.p, id, o); err == nil && f.Get("publish") != "" {
			_, err = s.consult.PublishOutcome(ctx, *p.p, id, liaison.PublishRequest{Collection: f.Get("collection"), Kind: f.Get("kind")})
		}
		back += "#outcome"
	case "publish":
		_, err = s.consult.PublishOutcome(ctx, *p.p, id, liaison.PublishRequest{Collection: f.Get("collection"), Kind: f.Get("kind")})
		back += "#outcome"
	case "contribute":
		item, aerr := strconv.Atoi(strings.TrimSpace(f.Get("agenda_item")))
		if aerr != nil {
			return liaison.Errorf(liaison.EINVALID, "agenda_item: want the number of an agenda item, such as 1")
		}
		k := liaison.Contribution{Consultation: id, AgendaItem: item, Text: f.Get("text"), Refs: formRefs(f["refs"], f.Get("more_refs"))}
		err = s.consult.Contribute(ctx, *p.p, &k)
		back += "#contributions"
	default:
		return liaison.Errorf(liaison.ENOTFOUND, "there is no page at %s", truncate(p.r.URL.Path, 100))
	}
	if err != nil {
		return err
	}
	http.Redirect(p.w, p.r, back, http.StatusSeeOther)
	return nil
}

// formRefs joins the picked references and those typed in.
func formRefs(picked []string, typed string) []string {
	out := slices.Clone(picked)
	for _, r := range splitList(typed) {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// formOutcome reads an outcome form: a summary and up to five actions,
// each with a text, an owner and a due date (rows left empty are not
// actions). A form with no action rows at all keeps the recorded actions
// on conclude.
func formOutcome(p *page) (liaison.Outcome, error) {
	f := p.r.PostForm
	o := liaison.Outcome{Summary: f.Get("summary")}
	texts, owners, dues := f["action_text"], f["action_owner"], f["action_due"]
	if len(texts) > 0 {
		o.Actions = []liaison.AgreedAction{}
	}
	for i, text := range texts {
		if strings.TrimSpace(text) == "" {
			continue
		}
		a := liaison.AgreedAction{Text: text}
		if i < len(owners) {
			a.Owner = strings.ToUpper(strings.TrimSpace(owners[i]))
		}
		if i < len(dues) {
			d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(dues[i]), p.zone)
			if err != nil {
				return o, liaison.Errorf(liaison.EINVALID, "action %d due: want a date such as 2026-04-01", i+1)
			}
			a.Due = d
		}
		o.Actions = append(o.Actions, a)
	}
	return o, nil
}

func (s *Server) actionStatusForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	id, err := pathID(p.r, "id", "consultation")
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(p.r.PathValue("i"))
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "agreed action %q is not a number (actions are numbered from 0)", truncate(p.r.PathValue("i"), 20))
	}
	if _, err := s.consult.SetActionStatus(p.r.Context(), *p.p, id, i, liaison.ActionStatus(p.r.PostForm.Get("status"))); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/consultations/%d#outcome", id), http.StatusSeeOther)
	return nil
}

func (s *Server) contributionForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	id, err := pathID(p.r, "id", "contribution")
	if err != nil {
		return err
	}
	f := p.r.PostForm
	var k liaison.Contribution
	switch p.r.PathValue("action") {
	case "edit":
		k, err = s.consult.EditContribution(p.r.Context(), *p.p, id, f.Get("text"), formRefs(nil, f.Get("refs")))
	case "withdraw":
		k, err = s.consult.WithdrawContribution(p.r.Context(), *p.p, id, f.Get("reason"))
	default:
		return liaison.Errorf(liaison.ENOTFOUND, "there is no page at %s", truncate(p.r.URL.Path, 100))
	}
	if err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/consultations/%d#k%d", k.Consultation, k.ID), http.StatusSeeOther)
	return nil
}
