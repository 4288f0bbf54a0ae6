package web

import (
	"net/http"
	"time"

	"liaison"
)

// decideRoutes lists the JSON API of draft decisions and their actions.
func (s *Server) decideRoutes() {
	s.handle("GET /api/v1/proposals", s.authed(s.listProposals))
	s.handle("POST /api/v1/proposals", s.authed(s.createProposal))
	s.handle("GET /api/v1/proposals/{id}", s.authed(s.getProposal))
	// {action} is circulate, break-silence, concur, object, revise,
	// withdraw or comment; "actions" takes the kind from the body.
	s.handle("POST /api/v1/proposals/{id}/{action}", s.authed(s.actOnProposal))
}

func outProposal(p liaison.Proposal) liaison.Proposal {
	if p.Rounds == nil {
		p.Rounds = []liaison.Round{}
	}
	if p.Record == nil {
		p.Record = []liaison.DecisionAction{}
	}
	return p
}

func (s *Server) listProposals(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	ps, err := s.decide.Proposals(r.Context(), p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range ps {
		ps[i] = outProposal(ps[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"proposals": ps})
}

// proposalIn is the body that tables a proposal.
type proposalIn struct {
	Title     string              `json:"title"`
	Text      string              `json:"text"`
	Procedure string              `json:"procedure"`
	Marking   liaison.MarkingSpec `json:"marking"`
}

func (s *Server) createProposal(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in proposalIn
	if err := decodeJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	pr := liaison.Proposal{Title: in.Title, Text: in.Text, Procedure: liaison.Procedure(in.Procedure), Marking: in.Marking}
	if err := s.decide.CreateProposal(r.Context(), p, &pr); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, outProposal(pr))
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	id, err := pathID(r, "id", "proposal")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	pr, err := s.decide.Proposal(r.Context(), p, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outProposal(pr))
}

// actIn is the body of an action on a proposal; every field is optional
// except as the action needs it.
type actIn struct {
	Kind     string    `json:"kind"`
	Reason   string    `json:"reason"`
	Deadline time.Time `json:"deadline"`
	Title    string    `json:"title"`
	Text     string    `json:"text"`
}

func (s *Server) actOnProposal(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	var in actIn
	if err := decodeOptionalJSON(w, r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	kind := r.PathValue("action")
	if kind == "actions" {
		kind = in.Kind
	} else if in.Kind != "" && in.Kind != kind {
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "body kind %q contradicts the path's action %q", in.Kind, kind))
		return
	}
	id, err := pathID(r, "id", "proposal")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	act := liaison.ProposalAct{Kind: liaison.DecisionActionKind(kind), Reason: in.Reason, Deadline: in.Deadline, Title: in.Title, Text: in.Text}
	pr, err := s.decide.Act(r.Context(), p, id, act)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, outProposal(pr))
}
