package web

import (
	"net/http"
	"strconv"
	"time"

	"liaison"
	"liaison/consult"
)

// consultRoutes lists the JSON API of consultations, contributions,
// outcomes and slot proposals.
func (s *Server) consultRoutes() {
	s.handle("GET /api/v1/consultations", s.authed(s.listConsultations))
	s.handle("POST /api/v1/consultations", s.authed(s.createConsultation))
	s.handle("GET /api/v1/consultations/{id}", s.authed(s.getConsultation))
	s.handle("POST /api/v1/consultations/{id}/open", s.authed(s.consultationStatus(liaison.ConsultationOpen)))
	s.handle("POST /api/v1/consultations/{id}/cancel", s.authed(s.consultationStatus(liaison.ConsultationCancelled)))
	s.handle("PUT /api/v1/consultations/{id}/outcome", s.authed(s.recordOutcome))
	s.handle("POST /api/v1/consultations/{id}/conclude", s.authed(s.concludeConsultation))
	s.handle("POST /api/v1/consultations/{id}/publish", s.authed(s.publishOutcome))
	s.handle("PUT /api/v1/consultations/{id}/outcome/actions/{i}", s.authed(s.setActionStatus))
	s.handle("GET /api/v1/consultations/{id}/contributions", s.authed(s.listContributions))
	s.handle("POST /api/v1/consultations/{id}/contributions", s.authed(s.contribute))
	s.handle("PUT /api/v1/contributions/{id}", s.authed(s.editContribution))
	s.handle("POST /api/v1/contributions/{id}/withdraw", s.authed(s.withdrawContribution))
	s.handle("POST /api/v1/slots", s.authed(s.proposeSlots))
}

// pathID reads the {name} path value as a positive integer id of kind.
// An id that is not a number is ENOTFOUND, like any id nobody can see.
func pathID(r *http.Request, name, kind string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, liaison.NotFound(kind, v)
	}
	return id, nil
}

// consultationOut is a consultation as the API shows it.
type consultationOut struct {
	liaison.Consultation
	DurationMinutes int `json:"duration_minutes,omitempty"`
}

func outConsultation(c liaison.Consultation) consultationOut {
	if c.Topics == nil {
		c.Topics = []string{}
	}
	if c.Participants == nil {
		c.Participants = []string{}
	}
	if c.Agenda == nil {
		c.Agenda = []liaison.AgendaItem{}
	}
	return consultationOut{Consultation: c, DurationMinutes: c.DurationMinutes()}
}

// consultationIn is the body that creates a consultation.
type consultationIn struct {
	Title           string              `json:"title"`
	Topics          []string            `json:"topics"`
	Convenor        string              `json:"convenor"`
	Participants    []string            `json:"participants"`
	Format          string              `json:"format"`
	Start           time.Time           `json:"start"`
	DurationMinutes int                 `json:"duration_minutes"`
	Place           string              `json:"place"`
	Deadline        time.Time           `json:"deadline"`
	Agenda          []string            `json:"agenda"`
	Marking         liaison.MarkingSpec `json:"marking"`
}

func (s *Server) listConsultations(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	f := liaison.ConsultationFilter{Status: liaison.ConsultationStatus(r.URL.Query().Get("status")), Topic: r.URL.Query().Get("topic")}
	list, err := s.consult.Consultations(r.Context(), p, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]consultationOut, 0, len(list))
	for _, c := range list {
		out = append(out, outConsultation(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"consultations": out})
}

func (s *Server) createConsultation(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in consultationIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	c := liaison.Consultation{
		Title: in.Title, Topics: in.Topics, Convenor: in.Convenor, Participants: in.Participants,
		Format: liaison.ConsultationFormat(in.Format), Start: in.Start, Duration: time.Duration(in.DurationMinutes) * time.Minute,
		Place: in.Place, Deadline: in.Deadline, Marking: in.Marking,
	}
	for _, a := range in.Agenda {
		c.Agenda = append(c.Agenda, liaison.AgendaItem{Title: a})
	}
	if err := s.consult.CreateConsultation(r.Context(), p, &c); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, outConsultation(c))
}

// withConsultation runs fn with the service and the path's consultation id
// and writes the consultation it returns.
func (s *Server) withConsultation(w http.ResponseWriter, r *http.Request, fn func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error)) {
	id, err := pathID(r, "id", "consultation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := fn(s.consult, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outConsultation(c))
}

func (s *Server) getConsultation(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
		return cs.Consultation(r.Context(), p, id)
	})
}

func (s *Server) consultationStatus(to liaison.ConsultationStatus) func(http.ResponseWriter, *http.Request, liaison.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decodeOptionalJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
			return cs.SetConsultationStatus(r.Context(), p, id, to, in.Reason)
		})
	}
}

// outcomeIn is the body that records an outcome.
type outcomeIn struct {
	Summary string `json:"summary"`
	Actions []struct {
		Text   string    `json:"text"`
		Owner  string    `json:"owner"`
		Due    time.Time `json:"due"`
		Status string    `json:"status"`
	} `json:"actions"`
	// Publish, on conclude only, also publishes the outcome.
	Publish *liaison.PublishRequest `json:"publish,omitempty"`
}

func (in outcomeIn) outcome() liaison.Outcome {
	// Actions left out stay nil: a conclude then keeps the recorded ones.
	o := liaison.Outcome{Summary: in.Summary}
	if in.Actions != nil {
		o.Actions = []liaison.AgreedAction{}
	}
	for _, a := range in.Actions {
		o.Actions = append(o.Actions, liaison.AgreedAction{Text: a.Text, Owner: a.Owner, Due: a.Due, Status: liaison.ActionStatus(a.Status)})
	}
	return o
}

func (s *Server) recordOutcome(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in outcomeIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Publish != nil {
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "publish goes with conclude or publish, not with the outcome alone"))
		return
	}
	s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
		return cs.RecordOutcome(r.Context(), p, id, in.outcome())
	})
}

func (s *Server) concludeConsultation(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in outcomeIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
		c, err := cs.ConcludeConsultation(r.Context(), p, id, in.outcome())
		if err != nil || in.Publish == nil {
			return c, err
		}
		return cs.PublishOutcome(r.Context(), p, id, *in.Publish)
	})
}

func (s *Server) publishOutcome(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in liaison.PublishRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
		return cs.PublishOutcome(r.Context(), p, id, in)
	})
}

func (s *Server) setActionStatus(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in struct {
		Status string `json:"status"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	i, err := strconv.Atoi(r.PathValue("i"))
	if err != nil {
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "agreed action %q is not a number (actions are numbered from 0)", r.PathValue("i")))
		return
	}
	s.withConsultation(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Consultation, error) {
		return cs.SetActionStatus(r.Context(), p, id, i, liaison.ActionStatus(in.Status))
	})
}

func outContribution(k liaison.Contribution) liaison.Contribution {
	if k.Refs == nil {
		k.Refs = []string{}
	}
	if k.History == nil {
		k.History = []liaison.ContributionRevision{}
	}
	return k
}

func (s *Server) listContributions(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	id, err := pathID(r, "id", "consultation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ks, err := s.consult.Contributions(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range ks {
		ks[i] = outContribution(ks[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"contributions": ks})
}

// contributionIn is the body that adds or edits a contribution.
type contributionIn struct {
	AgendaItem int      `json:"agenda_item"`
	Text       string   `json:"text"`
	Refs       []string `json:"refs"`
}

func (s *Server) contribute(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in contributionIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := pathID(r, "id", "consultation")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k := liaison.Contribution{Consultation: id, AgendaItem: in.AgendaItem, Text: in.Text, Refs: in.Refs}
	if err := s.consult.Contribute(r.Context(), p, &k); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, outContribution(k))
}

func (s *Server) changeContribution(w http.ResponseWriter, r *http.Request, fn func(cs liaison.ConsultationService, id int64) (liaison.Contribution, error)) {
	id, err := pathID(r, "id", "contribution")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := fn(s.consult, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outContribution(k))
}

func (s *Server) editContribution(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in contributionIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.changeContribution(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Contribution, error) {
		return cs.EditContribution(r.Context(), p, id, in.Text, in.Refs)
	})
}

func (s *Server) withdrawContribution(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.changeContribution(w, r, func(cs liaison.ConsultationService, id int64) (liaison.Contribution, error) {
		return cs.WithdrawContribution(r.Context(), p, id, in.Reason)
	})
}

// slotsIn asks for meeting slots. Participants, or a consultation whose
// participants and convenor (and, for a meeting, duration) are used.
type slotsIn struct {
	Consultation    int64     `json:"consultation"`
	Participants    []string  `json:"participants"`
	DurationMinutes int       `json:"duration_minutes"`
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	WorkStart       string    `json:"work_start"` // HH:MM, default 08:00
	WorkEnd         string    `json:"work_end"`   // HH:MM, default 18:00
	Days            string    `json:"days"`       // such as mon-fri (the default)
	StepMinutes     int       `json:"step_minutes"`
	Limit           int       `json:"limit"`
	// Holidays are public holidays by organisation: {"JPN":["2026-03-20"]}.
	Holidays map[string][]string `json:"holidays"`
}

func (s *Server) proposeSlots(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in slotsIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	slots, err := s.slots(r, p, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"slots": slots})
}

func (s *Server) slots(r *http.Request, p liaison.Principal, in slotsIn) ([]liaison.Slot, error) {
	req := liaison.SlotRequest{
		Participants: in.Participants, Duration: time.Duration(in.DurationMinutes) * time.Minute,
		From: in.From, To: in.To, Step: time.Duration(in.StepMinutes) * time.Minute, Limit: in.Limit,
		Hours: liaison.DefaultWorkingHours(), Holidays: in.Holidays,
	}
	var err error
	if in.WorkStart != "" {
		if req.Hours.Start, err = consult.ParseClock(in.WorkStart); err != nil {
			return nil, err
		}
	}
	if in.WorkEnd != "" {
		if req.Hours.End, err = consult.ParseClock(in.WorkEnd); err != nil {
			return nil, err
		}
	}
	if in.Days != "" {
		if req.Hours.Days, err = consult.ParseDays(in.Days); err != nil {
			return nil, err
		}
	}
	d, err := s.store.Directory(r.Context())
	if err != nil {
		return nil, err
	}
	if in.Consultation != 0 {
		c, err := s.consult.Consultation(r.Context(), p, in.Consultation)
		if err != nil {
			return nil, err
		}
		// The organisations that will take part once it is open: the
		// participants and convenor that its marking releases it to.
		c.Status = liaison.ConsultationOpen
		aud, err := consult.Readers(c, d)
		if err != nil {
			return nil, err
		}
		req.Participants = append(append([]string{}, aud...), in.Participants...)
		if req.Duration == 0 {
			req.Duration = c.Duration
		}
	}
	return consult.ProposeSlots(req, d)
}
