// Package consult holds the rules of consultations between the alliance
// and its partners: who sees a consultation, who may convene, open,
// cancel and conclude it, who may contribute and edit, how an outcome is
// recorded and published as STIX, and how meeting slots are proposed
// across time zones. The rules are pure and take the time as an argument;
// stores call them inside their write transactions.
package consult

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"liaison"
)

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Readers returns the organisations that may see c under d. A draft is
// seen by the convenor alone. Otherwise the participants (communities
// expanded) and the convenor, narrowed to the audience of c's marking with
// the convenor as originator. EINVALID if the marking is malformed.
func Readers(c liaison.Consultation, d *liaison.Directory) (liaison.Audience, error) {
	if c.Status == liaison.ConsultationDraft || c.Status == "" {
		return liaison.NewAudience(c.Convenor), nil
	}
	m, err := c.Marking.Marking()
	if err != nil {
		return nil, err
	}
	aud := d.AudienceOf(c.Convenor, []liaison.Marking{m})
	members := d.Expand(c.Participants...)
	members = liaison.NewAudience(append(slices.Clone(members), c.Convenor)...)
	return members.Intersect(aud), nil
}

// Participating returns the organisations that take part in c: the
// participants with communities expanded, and the convenor.
func Participating(c liaison.Consultation, d *liaison.Directory) liaison.Audience {
	return liaison.NewAudience(append(slices.Clone(d.Expand(c.Participants...)), c.Convenor)...)
}

var topicRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// Validate checks c's fields against d and normalises them: it trims
// text, numbers the agenda 1…n, and sorts nothing the caller gave in
// order. EINVALID naming the faulty field otherwise.
func Validate(c *liaison.Consultation, d *liaison.Directory) error {
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		return liaison.Errorf(liaison.EINVALID, "consultation needs a title")
	}
	if len(c.Topics) == 0 {
		return liaison.Errorf(liaison.EINVALID, "consultation %q needs at least one topic (cyber, disinformation, edt, geopolitical or another)", c.Title)
	}
	for i, t := range c.Topics {
		if !topicRE.MatchString(t) {
			return liaison.Errorf(liaison.EINVALID, "consultation topics[%d]: %q is not a lower-case word such as cyber", i, t)
		}
	}
	org, ok := d.Organisation(c.Convenor)
	if !ok {
		return liaison.Errorf(liaison.EINVALID, "convenor %q is not an organisation on the hub", c.Convenor)
	}
	if org.Kind == liaison.Partner {
		return liaison.Errorf(liaison.EINVALID, "convenor %s is a partner: an ally or a NATO body convenes a consultation", c.Convenor)
	}
	if len(c.Participants) == 0 {
		return liaison.Errorf(liaison.EINVALID, "consultation %q needs at least one participant", c.Title)
	}
	for i, p := range c.Participants {
		if _, ok := d.Organisation(p); !ok && !d.HasCommunity(p) {
			return liaison.Errorf(liaison.EINVALID, "consultation participants[%d]: %q is neither an organisation nor a community on the hub", i, p)
		}
	}
	switch c.Format {
	case liaison.FormatMeeting:
		if c.Start.IsZero() {
			return liaison.Errorf(liaison.EINVALID, "meeting %q needs a start time", c.Title)
		}
		if c.Duration <= 0 || c.Duration > 24*time.Hour {
			return liaison.Errorf(liaison.EINVALID, "meeting %q needs a duration between 1 minute and 24 hours, not %s", c.Title, c.Duration)
		}
		c.Place = strings.TrimSpace(c.Place)
		if c.Place == "" {
			return liaison.Errorf(liaison.EINVALID, "meeting %q needs a place or a link", c.Title)
		}
		if !c.Deadline.IsZero() {
			return liaison.Errorf(liaison.EINVALID, "meeting %q has a deadline: only a written consultation has one", c.Title)
		}
	case liaison.FormatWritten:
		if c.Deadline.IsZero() {
			return liaison.Errorf(liaison.EINVALID, "written consultation %q needs a deadline", c.Title)
		}
		if !c.Start.IsZero() || c.Duration != 0 {
			return liaison.Errorf(liaison.EINVALID, "written consultation %q has a start or duration: only a meeting has one", c.Title)
		}
	default:
		return liaison.Errorf(liaison.EINVALID, "consultation format %q is unknown: want meeting or written", c.Format)
	}
	for i := range c.Agenda {
		c.Agenda[i].Title = strings.TrimSpace(c.Agenda[i].Title)
		if c.Agenda[i].Title == "" {
			return liaison.Errorf(liaison.EINVALID, "consultation agenda[%d] needs a title", i)
		}
		c.Agenda[i].Number = i + 1
	}
	if err := validateMarking(c.Marking, d); err != nil {
		return err
	}
	return nil
}

func validateMarking(m liaison.MarkingSpec, d *liaison.Directory) error {
	if _, err := m.Marking(); err != nil {
		return err
	}
	for i, n := range m.ReleasableTo {
		if _, ok := d.Organisation(n); !ok && !d.HasCommunity(n) {
			return liaison.Errorf(liaison.EINVALID, "marking releasable_to[%d]: %q is neither an organisation nor a community on the hub", i, n)
		}
	}
	return nil
}

// Create checks that by may convene c and prepares it as a draft at now:
// by must be an officer, and c's convenor (by.Org when empty) must be
// by's organisation. EFORBIDDEN or EINVALID otherwise.
func Create(c *liaison.Consultation, by liaison.Principal, d *liaison.Directory, now time.Time) error {
	if c.Convenor == "" {
		c.Convenor = by.Org
	}
	if c.Convenor != by.Org {
		return liaison.Errorf(liaison.EFORBIDDEN, "%s may convene consultations for %s only, not for %s", by.Name, by.Org, c.Convenor)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "convening a consultation needs the officer role; %s does not hold it", by.Name)
	}
	if err := Validate(c, d); err != nil {
		return err
	}
	c.Status = liaison.ConsultationDraft
	c.CreatedBy = by.Name
	c.Created, c.Updated = now, now
	c.Outcome, c.Published, c.CancelReason = nil, nil, ""
	return nil
}

// convenorOfficer checks that by is an officer of c's convenor.
func convenorOfficer(c liaison.Consultation, by liaison.Principal, verb string) error {
	if by.Org != c.Convenor {
		return liaison.Errorf(liaison.EFORBIDDEN, "only the convenor, %s, may %s consultation %d", c.Convenor, verb, c.ID)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "to %s consultation %d, %s needs the officer role", verb, c.ID, by.Name)
	}
	return nil
}

// Transition moves c to status to (open or cancelled) as by at now.
// Allowed: draft → open, draft → cancelled, open → cancelled. Concluding
// goes through Conclude. EFORBIDDEN unless by is an officer of the
// convenor; ECONFLICT for any other move; EINVALID for an unknown status.
func Transition(c *liaison.Consultation, by liaison.Principal, to liaison.ConsultationStatus, reason string, now time.Time) error {
	switch to {
	case liaison.ConsultationOpen, liaison.ConsultationCancelled:
	case liaison.ConsultationConcluded:
		return liaison.Errorf(liaison.EINVALID, "conclude consultation %d by recording its outcome", c.ID)
	case liaison.ConsultationDraft:
		return liaison.Errorf(liaison.ECONFLICT, "consultation %d cannot go back to draft", c.ID)
	default:
		return liaison.Errorf(liaison.EINVALID, "consultation status %q is unknown: want open or cancelled", to)
	}
	verb := "open"
	if to == liaison.ConsultationCancelled {
		verb = "cancel"
	}
	if err := convenorOfficer(*c, by, verb); err != nil {
		return err
	}
	ok := c.Status == liaison.ConsultationDraft || (c.Status == liaison.ConsultationOpen && to == liaison.ConsultationCancelled)
	if !ok {
		return liaison.Errorf(liaison.ECONFLICT, "consultation %d is %s: it cannot be %s", c.ID, c.Status, map[string]string{"open": "opened", "cancel": "cancelled"}[verb])
	}
	c.Status = to
	c.Updated = now
	if to == liaison.ConsultationCancelled {
		c.CancelReason = strings.TrimSpace(reason)
	}
	return nil
}

// RecordOutcome checks outcome o for c as by at now and stores it in c;
// with conclude it also moves c from open to concluded, and a conclude
// keeps from the outcome already recorded what o leaves out: the summary
// when o's is empty, the actions when o.Actions is nil. Agreed actions
// start open unless a status is given. EFORBIDDEN unless by is an officer
// of the convenor; ECONFLICT unless c is open (or, without conclude,
// concluded); EINVALID for an empty summary, an action without text, an
// owner not on the hub, a missing due date or an unknown status.
func RecordOutcome(c *liaison.Consultation, by liaison.Principal, d *liaison.Directory, o liaison.Outcome, conclude bool, now time.Time) error {
	verb := "record the outcome of"
	if conclude {
		verb = "conclude"
	}
	if err := convenorOfficer(*c, by, verb); err != nil {
		return err
	}
	switch {
	case c.Status == liaison.ConsultationOpen:
	case c.Status == liaison.ConsultationConcluded && !conclude:
	default:
		return liaison.Errorf(liaison.ECONFLICT, "consultation %d is %s: only an open consultation can %s", c.ID, c.Status, map[bool]string{true: "be concluded", false: "take an outcome"}[conclude])
	}
	o.Summary = strings.TrimSpace(o.Summary)
	if conclude && c.Outcome != nil {
		// Concluding on the outcome already recorded: what the conclude
		// leaves out (no summary; no action list at all) is kept.
		if o.Summary == "" {
			o.Summary = c.Outcome.Summary
		}
		if o.Actions == nil {
			o.Actions = c.Outcome.Actions
		}
	}
	if o.Summary == "" {
		return liaison.Errorf(liaison.EINVALID, "the outcome of consultation %d needs a summary", c.ID)
	}
	o.Actions = slices.Clone(o.Actions)
	for i := range o.Actions {
		a := &o.Actions[i]
		a.Text = strings.TrimSpace(a.Text)
		if a.Text == "" {
			return liaison.Errorf(liaison.EINVALID, "outcome actions[%d] needs a text", i)
		}
		if _, ok := d.Organisation(a.Owner); !ok {
			return liaison.Errorf(liaison.EINVALID, "outcome actions[%d]: owner %q is not an organisation on the hub", i, a.Owner)
		}
		if a.Due.IsZero() {
			return liaison.Errorf(liaison.EINVALID, "outcome actions[%d] needs a due date", i)
		}
		if a.Status == "" {
			a.Status = liaison.ActionOpen
		}
		if !a.Status.Valid() {
			return liaison.Errorf(liaison.EINVALID, "outcome actions[%d]: status %q is unknown: want open, done or dropped", i, a.Status)
		}
	}
	o.RecordedBy = by.Name
	o.RecordedAt = now
	c.Outcome = &o
	c.Updated = now
	if conclude {
		c.Status = liaison.ConsultationConcluded
	}
	return nil
}

// SetActionStatus sets agreed action i of c's outcome to s as by at now.
// EFORBIDDEN unless by is an officer of the convenor or of the action's
// owner; ECONFLICT if c has no outcome; EINVALID for a bad index or status.
func SetActionStatus(c *liaison.Consultation, by liaison.Principal, i int, s liaison.ActionStatus, now time.Time) error {
	if c.Outcome == nil {
		return liaison.Errorf(liaison.ECONFLICT, "consultation %d has no outcome yet", c.ID)
	}
	if i < 0 || i >= len(c.Outcome.Actions) {
		return liaison.Errorf(liaison.EINVALID, "consultation %d has no agreed action %d (it has %d, numbered from 0)", c.ID, i, len(c.Outcome.Actions))
	}
	if !s.Valid() {
		return liaison.Errorf(liaison.EINVALID, "action status %q is unknown: want open, done or dropped", s)
	}
	owner := c.Outcome.Actions[i].Owner
	if by.Org != c.Convenor && by.Org != owner {
		return liaison.Errorf(liaison.EFORBIDDEN, "only the convenor %s or the owner %s may update agreed action %d", c.Convenor, owner, i)
	}
	if !by.HasRole(liaison.RoleOfficer) {
		return liaison.Errorf(liaison.EFORBIDDEN, "updating an agreed action needs the officer role; %s does not hold it", by.Name)
	}
	o := *c.Outcome
	o.Actions = slices.Clone(o.Actions)
	o.Actions[i].Status = s
	c.Outcome = &o
	c.Updated = now
	return nil
}
