package liaison

import (
	"context"
	"strings"
	"time"
)

// ConsultationStatus is where a consultation stands. A consultation moves
// draft → open → concluded; a draft or open one may be cancelled instead.
type ConsultationStatus string

// The consultation statuses.
const (
	ConsultationDraft     ConsultationStatus = "draft"
	ConsultationOpen      ConsultationStatus = "open"
	ConsultationConcluded ConsultationStatus = "concluded"
	ConsultationCancelled ConsultationStatus = "cancelled"
)

// ConsultationFormat says how a consultation is held.
type ConsultationFormat string

// The consultation formats.
const (
	// FormatMeeting is a meeting with a start time, a duration and a place
	// or a link.
	FormatMeeting ConsultationFormat = "meeting"
	// FormatWritten is a written consultation with a deadline.
	FormatWritten ConsultationFormat = "written"
)

// MarkingSpec is how a consultation or a proposal is marked: the same
// classification and releasability model as objects. Classification is
// one of the NATO classification names or empty; ReleasableTo names
// organisations and communities (nil: no list); TLP is a TLP 2.0 name such
// as TLP:AMBER (the "TLP:" prefix is optional) or empty.
type MarkingSpec struct {
	Classification string   `json:"classification,omitempty"`
	ReleasableTo   []string `json:"releasable_to,omitempty"`
	TLP            string   `json:"tlp,omitempty"`
}

// ParseTLP reads a TLP 2.0 level name such as "TLP:AMBER+STRICT" or
// "amber+strict", case-insensitively. The empty string is TLPNone.
func ParseTLP(s string) (TLP, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return TLPNone, nil
	}
	if !strings.HasPrefix(u, "TLP:") {
		u = "TLP:" + u
	}
	for i, n := range tlpNames {
		if i > 0 && n == u {
			return TLP(i), nil
		}
	}
	return TLPNone, Errorf(EINVALID, "TLP %q is unknown: want CLEAR, GREEN, AMBER, AMBER+STRICT or RED", s)
}

// Marking returns the marking the spec stands for, ready for
// Directory.AudienceOf. EINVALID if the classification or TLP is unknown,
// or releasable_to is an empty list: it would name nobody, and a spec is
// stored as JSON that cannot tell an empty list from none, which would
// widen it to no list at all.
func (m MarkingSpec) Marking() (Marking, error) {
	var out Marking
	if m.ReleasableTo != nil && len(m.ReleasableTo) == 0 {
		return Marking{}, Errorf(EINVALID, "marking releasable_to is an empty list, which names nobody: leave it out, or name at least one organisation or community")
	}
	if m.Classification != "" {
		c, err := ParseClassification(m.Classification)
		if err != nil {
			return Marking{}, err
		}
		out.Classification = c
	}
	t, err := ParseTLP(m.TLP)
	if err != nil {
		return Marking{}, err
	}
	out.TLP = t
	if m.ReleasableTo != nil {
		out.ReleasableTo = append([]string{}, m.ReleasableTo...)
	}
	return out, nil
}

// Name returns the marking as a human reads it, such as
// "NATO RESTRICTED REL TO NATO, JPN TLP:AMBER", or "UNMARKED".
func (m MarkingSpec) Name() string {
	var parts []string
	if m.Classification != "" {
		if c, err := ParseClassification(m.Classification); err == nil {
			parts = append(parts, c.String())
		}
	}
	if m.ReleasableTo != nil {
		parts = append(parts, "REL TO "+strings.Join(m.ReleasableTo, ", "))
	}
	if t, err := ParseTLP(m.TLP); err == nil && t != TLPNone {
		parts = append(parts, t.String())
	}
	if len(parts) == 0 {
		return "UNMARKED"
	}
	return strings.Join(parts, " ")
}

// AgendaItem is one item on a consultation's agenda. Numbers start at 1
// and follow the agenda's order; contributions refer to them.
type AgendaItem struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
}

// Consultation is a meeting or a written consultation between the
// alliance and its partners.
type Consultation struct {
	ID     int64    `json:"id"`
	Title  string   `json:"title"`
	Topics []string `json:"topics"`
	// Convenor is the organisation code of the ally or NATO body that
	// convenes the consultation.
	Convenor string `json:"convenor"`
	// Participants are organisation codes and community names.
	Participants []string           `json:"participants"`
	Format       ConsultationFormat `json:"format"`
	// Start, Duration and Place (an address or a link) describe a meeting.
	Start    time.Time     `json:"start,omitzero"`
	Duration time.Duration `json:"-"`
	Place    string        `json:"place,omitempty"`
	// Deadline closes a written consultation.
	Deadline time.Time          `json:"deadline,omitzero"`
	Agenda   []AgendaItem       `json:"agenda"`
	Status   ConsultationStatus `json:"status"`
	Marking  MarkingSpec        `json:"marking"`
	// CancelReason says why a cancelled consultation was cancelled.
	CancelReason string    `json:"cancel_reason,omitempty"`
	CreatedBy    string    `json:"created_by"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	// Outcome is set once an officer of the convenor records it.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Published names the STIX object the outcome was published as, if
	// it was.
	Published *Publication `json:"published,omitempty"`
}

// DurationMinutes is the meeting's duration in whole minutes, as the JSON
// API carries it.
func (c Consultation) DurationMinutes() int { return int(c.Duration / time.Minute) }

// Agendum returns the agenda item with number n.
func (c Consultation) Agendum(n int) (AgendaItem, bool) {
	for _, a := range c.Agenda {
		if a.Number == n {
			return a, true
		}
	}
	return AgendaItem{}, false
}

// ActionStatus is where an agreed action stands.
type ActionStatus string

// The agreed-action statuses.
const (
	ActionOpen    ActionStatus = "open"
	ActionDone    ActionStatus = "done"
	ActionDropped ActionStatus = "dropped"
)

// Valid reports whether s is a known action status.
func (s ActionStatus) Valid() bool { return s == ActionOpen || s == ActionDone || s == ActionDropped }

// AgreedAction is one action agreed in a consultation's outcome.
type AgreedAction struct {
	Text   string       `json:"text"`
	Owner  string       `json:"owner"` // organisation code
	Due    time.Time    `json:"due"`
	Status ActionStatus `json:"status"`
}

// Outcome is what a consultation concluded: a summary and agreed actions,
// recorded by an officer of the convening organisation.
type Outcome struct {
	Summary    string         `json:"summary"`
	Actions    []AgreedAction `json:"actions"`
	RecordedBy string         `json:"recorded_by"`
	RecordedAt time.Time      `json:"recorded_at"`
}

// Publication is a consultation outcome published as a STIX object.
type Publication struct {
	Collection string    `json:"collection"`
	ObjectID   string    `json:"object_id"`
	MarkingID  string    `json:"marking_id"`
	At         time.Time `json:"at"`
}

// PublishRequest asks to publish a consultation's outcome into a
// collection as a STIX "report" (with object_refs to the objects its
// contributions reference) or a "note".
type PublishRequest struct {
	Collection string `json:"collection"`
	Kind       string `json:"kind"` // "report" (the default) or "note"
}

// Contribution is a post by a participant in a consultation, on one
// agenda item (AgendaItem ≥ 1) or general (AgendaItem 0). Refs are STIX
// object ids; a reader receives only the refs to objects they may read.
// Edits and withdrawal keep the earlier states in History.
type Contribution struct {
	ID           int64     `json:"id"`
	Consultation int64     `json:"consultation"`
	AgendaItem   int       `json:"agenda_item"`
	Author       string    `json:"author"` // user name
	AuthorID     int64     `json:"-"`
	Org          string    `json:"org"`
	Text         string    `json:"text"`
	Refs         []string  `json:"refs"`
	Created      time.Time `json:"created"`
	Updated      time.Time `json:"updated"`
	Withdrawn    bool      `json:"withdrawn"`
	// History holds every earlier state, oldest first.
	History []ContributionRevision `json:"history"`
}

// ContributionRevision is one earlier state of a contribution, and the
// change that replaced it.
type ContributionRevision struct {
	Text string    `json:"text"`
	Refs []string  `json:"refs"`
	At   time.Time `json:"at"` // when this state was written
	// Change is what replaced this state: "edit" or "withdraw".
	Change string `json:"change"`
	// Reason explains a withdrawal, if given.
	Reason string `json:"reason,omitempty"`
}

// ConsultationFilter narrows a listing of consultations.
type ConsultationFilter struct {
	Status ConsultationStatus // empty: any
	Topic  string             // empty: any
}

// ConsultationService keeps consultations and their contributions. Every
// read takes the reader: a consultation is visible only to the convening
// organisation and to participants in its marking's audience (see
// consult.Readers). A hidden consultation and a missing one look the same.
type ConsultationService interface {
	// CreateConsultation adds a draft consultation convened by by.Org and
	// sets c.ID, c.Status, c.Created. EFORBIDDEN unless by is an officer
	// of the convenor; EINVALID for a malformed consultation (unknown
	// participant, bad format, missing deadline, bad marking).
	CreateConsultation(ctx context.Context, by Principal, c *Consultation) error
	// Consultation returns one consultation as reader sees it. ENOTFOUND
	// if it does not exist or reader may not see it.
	Consultation(ctx context.Context, reader Principal, id int64) (Consultation, error)
	// Consultations returns the consultations reader may see, newest first.
	Consultations(ctx context.Context, reader Principal, f ConsultationFilter) ([]Consultation, error)
	// SetConsultationStatus moves a consultation to open or cancelled
	// (concluding goes through ConcludeConsultation). ENOTFOUND if by
	// cannot see it; EFORBIDDEN unless by is an officer of the convenor;
	// ECONFLICT if the status does not allow the move.
	SetConsultationStatus(ctx context.Context, by Principal, id int64, to ConsultationStatus, reason string) (Consultation, error)
	// RecordOutcome records or replaces the outcome of an open or
	// concluded consultation. ENOTFOUND, EFORBIDDEN, ECONFLICT as above;
	// EINVALID for a malformed outcome (empty summary, unknown owner).
	RecordOutcome(ctx context.Context, by Principal, id int64, o Outcome) (Consultation, error)
	// ConcludeConsultation records the outcome and concludes an open
	// consultation. What o leaves out is kept from the outcome already
	// recorded: the summary when o's is empty, the actions when
	// o.Actions is nil. Errors as RecordOutcome.
	ConcludeConsultation(ctx context.Context, by Principal, id int64, o Outcome) (Consultation, error)
	// SetActionStatus changes the status of agreed action i (from 0).
	// EFORBIDDEN unless by is an officer of the convenor or of the
	// action's owner; EINVALID for an unknown index or status.
	SetActionStatus(ctx context.Context, by Principal, id int64, i int, s ActionStatus) (Consultation, error)
	// PublishOutcome publishes a concluded consultation's outcome into a
	// collection as a STIX report or note carrying the consultation's
	// marking, written as by. ECONFLICT unless concluded and not yet
	// published; errors of ObjectService.AddObjects otherwise.
	PublishOutcome(ctx context.Context, by Principal, id int64, r PublishRequest) (Consultation, error)

	// Contribute adds a contribution to an open consultation and sets
	// c.ID. ENOTFOUND if by cannot see the consultation; EFORBIDDEN if
	// by's organisation does not take part or by lacks the analyst role;
	// ECONFLICT unless open; EINVALID for an unknown agenda item, empty
	// text or a malformed reference.
	Contribute(ctx context.Context, by Principal, c *Contribution) error
	// EditContribution replaces a contribution's text and refs, keeping
	// the old state in its history. ENOTFOUND if by cannot see it;
	// EFORBIDDEN unless by wrote it; ECONFLICT if withdrawn or the
	// consultation is no longer open.
	EditContribution(ctx context.Context, by Principal, id int64, text string, refs []string) (Contribution, error)
	// WithdrawContribution withdraws a contribution, keeping its history.
	// Errors as EditContribution.
	WithdrawContribution(ctx context.Context, by Principal, id int64, reason string) (Contribution, error)
	// Contributions returns a consultation's contributions, oldest first,
	// with every ref to an object reader may not read removed (history
	// included). ENOTFOUND if reader cannot see the consultation.
	Contributions(ctx context.Context, reader Principal, consultation int64) ([]Contribution, error)
}

// WorkingHours is the local working day used to schedule meetings: from
// Start to End (minutes after local midnight) on Days.
type WorkingHours struct {
	Start int            // minutes after midnight, default 8:00
	End   int            // minutes after midnight, default 18:00
	Days  []time.Weekday // default Monday to Friday
}

// DefaultWorkingHours is 08:00–18:00 local, Monday to Friday.
func DefaultWorkingHours() WorkingHours {
	return WorkingHours{Start: 8 * 60, End: 18 * 60, Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
}

// SlotRequest asks for meeting slots: participants (organisation codes or
// communities), a duration and a range [From, To) that the meeting must
// fit in.
type SlotRequest struct {
	Participants []string
	Duration     time.Duration
	From, To     time.Time
	Hours        WorkingHours  // zero value: DefaultWorkingHours
	Step         time.Duration // granularity of start times; default 30 minutes
	Limit        int           // most proposals returned; default 10
	// Holidays are public holidays by organisation code: local dates
	// such as 2026-03-20, which weigh like a weekend for that
	// organisation.
	Holidays map[string][]string
}

// Slot is a proposed meeting time and what it costs each participant.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// OutOfHours is how many participants would meet outside their
	// working hours; WorstMinutesOut is the longest such stretch, in
	// minutes, and TotalMinutesOut the sum over participants.
	OutOfHours      int `json:"out_of_hours"`
	WorstMinutesOut int `json:"worst_minutes_out"`
	TotalMinutesOut int `json:"total_minutes_out"`
	// WorstBurden is the largest participant's burden (see
	// LocalTime.Burden) and TotalBurden the sum: slots are ranked by
	// them, in that order.
	WorstBurden int         `json:"worst_burden"`
	TotalBurden int         `json:"total_burden"`
	Local       []LocalTime `json:"local"`
}

// LocalTime is one participant's view of a slot.
type LocalTime struct {
	Org        string `json:"org"`
	Zone       string `json:"zone"`
	Weekday    string `json:"weekday"` // local weekday of the start, such as Mon
	Start      string `json:"start"`   // local wall time, RFC 3339 with offset
	End        string `json:"end"`
	InHours    bool   `json:"in_hours"`
	MinutesOut int    `json:"minutes_out"` // minutes outside working hours
	// Burden weighs the minutes out of hours, in weighted minutes: each
	// minute counts 1 + its hours of clock distance to the working day,
	// three times that at night (00:00–06:00 local), four times on a day
	// off (a weekend or public holiday, where every minute counts).
	Burden int  `json:"burden"`
	Night  bool `json:"night"`   // some of it falls between 00:00 and 06:00 local
	DayOff bool `json:"day_off"` // some of it falls on a weekend or holiday
}
