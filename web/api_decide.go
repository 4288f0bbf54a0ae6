package web

import (
	"net/http"
	"time"

	"liaison"
)

// decideRoutes lists the JSON API of draft decisions and their actions.
func (s *Server) decideRoutes() {
	s.mux.Handle("GET /api/v1/proposals", s.authed(s.listProposals))
	s.mux.Handle("POST /api/v1/proposals", s.authed(s.createProposal))
	s.mux.Handle("GET /api/v1/proposals/{id}", s.authed(s.getProposal))
	// {action} is circulate, break-silence, concur, object, revise,
	// withdraw or comment; "actions" takes the kind from the body.
	s.mux.Handle("POST /api/v1/proposals/{id}/{action}", s.authed(s.actOnProposal))
}

func (s *Server) decisionService() (liaison.DecisionService, error) {
	ds, ok := s.store.(liaison.DecisionService)
	if !ok {
		return nil, liaison.Internal("web.decisions", errNoService("decisions"))
	}
	return ds, nil
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
	ds, err := s.decisionService()
	if err == nil {
		var ps []liaison.Proposal
		if ps, err = ds.Proposals(r.Context(), p); err == nil {
			for i := range ps {
				ps[i] = outProposal(ps[i])
			}
			writeJSON(w, http.StatusOK, map[string]any{"proposals": ps})
			return
		}
	}
	s.writeError(w, r, err)
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
	ds, err := s.decisionService()
	if err == nil {
		pr := liaison.Proposal{Title: in.Title, Text: in.Text, Procedure: liaison.Procedure(in.Procedure), Marking: in.Marking}
		if err = ds.CreateProposal(r.Context(), p, &pr); err == nil {
			writeJSON(w, http.StatusCreated, outProposal(pr))
			return
		}
	}
	s.writeError(w, r, err)
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request, p liaison.Principal) {
	ds, err := s.decisionService()
	if err == nil {
		var id int64
		if id, err = pathID(r, "id", "proposal"); err == nil {
			var pr liaison.Proposal
			if pr, err = ds.Proposal(r.Context(), p, id); err == nil {
				writeJSON(w, http.StatusOK, outProposal(pr))
				return
			}
		}
	}
	s.writeError(w, r, err)
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
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	kind := r.PathValue("action")
	if kind == "actions" {
		kind = in.Kind
	} else if in.Kind != "" && in.Kind != kind {
		s.writeError(w, r, liaison.Errorf(liaison.EINVALID, "body kind %q contradicts the path's action %q", in.Kind, kind))
		return
	}
	ds, err := s.decisionService()
	if err == nil {
		var id int64
		if id, err = pathID(r, "id", "proposal"); err == nil {
			var pr liaison.Proposal
			act := liaison.ProposalAct{Kind: liaison.DecisionActionKind(kind), Reason: in.Reason, Deadline: in.Deadline, Title: in.Title, Text: in.Text}
			if pr, err = ds.Act(r.Context(), p, id, act); err == nil {
				writeJSON(w, http.StatusOK, outProposal(pr))
				return
			}
		}
	}
	s.writeError(w, r, err)
}
