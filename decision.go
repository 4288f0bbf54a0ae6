package liaison

import (
	"context"
	"time"
)

// Procedure is how a draft decision of the North Atlantic Council is taken.
type Procedure string

// The decision procedures.
const (
	// SilenceProcedure: the proposal circulates with a deadline and is
	// adopted at the deadline unless an ally breaks silence before it.
	SilenceProcedure Procedure = "silence"
	// ConcurrenceProcedure: every ally must concur before the deadline;
	// one objection blocks; a missing concurrence at the deadline lapses.
	ConcurrenceProcedure Procedure = "concurrence"
)

// Valid reports whether p is a known procedure.
func (p Procedure) Valid() bool { return p == SilenceProcedure || p == ConcurrenceProcedure }

// ProposalStatus is where a proposal stands, settled at a given instant.
type ProposalStatus string

// The proposal statuses. Adopted and withdrawn are final.
const (
	ProposalDraft       ProposalStatus = "draft"       // not circulated yet, or revised after a block
	ProposalCirculating ProposalStatus = "circulating" // a round is open until its deadline
	ProposalBlocked     ProposalStatus = "blocked"     // silence broken, or an ally objected
	ProposalLapsed      ProposalStatus = "lapsed"      // concurrence: some ally did not concur by the deadline
	ProposalAdopted     ProposalStatus = "adopted"
	ProposalWithdrawn   ProposalStatus = "withdrawn"
)

// DecisionActionKind names one kind of action on a proposal.
type DecisionActionKind string

// The actions on a proposal. Every one is kept in the record.
const (
	ActCreate       DecisionActionKind = "create"        // the proposal is tabled as a draft
	ActCirculate    DecisionActionKind = "circulate"     // the proposer opens a round with a deadline
	ActBreakSilence DecisionActionKind = "break-silence" // an ally blocks a silence procedure, with a reason
	ActConcur       DecisionActionKind = "concur"        // an ally concurs (concurrence procedure)
	ActObject       DecisionActionKind = "object"        // an ally objects (concurrence procedure), with a reason
	ActRevise       DecisionActionKind = "revise"        // the proposer changes the title or text
	ActWithdraw     DecisionActionKind = "withdraw"      // the proposer withdraws the proposal
	ActComment      DecisionActionKind = "comment"       // anyone who can see the proposal comments; it decides nothing
)

// DecisionAction is one entry in a proposal's record: who did what, when
// and why. Entries are only ever appended.
type DecisionAction struct {
	Seq    int                `json:"seq"` // from 1, in order
	Kind   DecisionActionKind `json:"kind"`
	Round  int                `json:"round"` // the round it belongs to; 0 before the first circulation
	User   string             `json:"user"`
	UserID int64              `json:"-"`
	Org    string             `json:"org"`
	At     time.Time          `json:"at"`
	Reason string             `json:"reason,omitempty"`
	// Deadline and Allies are set on circulate: the round's deadline and
	// the allies, fixed at that moment, who decide it.
	Deadline time.Time `json:"deadline,omitzero"`
	Allies   []string  `json:"allies,omitempty"`
	// Title and Text are set on create and revise.
	Title string `json:"title,omitempty"`
	Text  string `json:"text,omitempty"`
}

// Round is one circulation of a proposal, as settled at a given instant.
type Round struct {
	Number     int            `json:"number"`
	Title      string         `json:"title"`
	Text       string         `json:"text"`
	Circulated time.Time      `json:"circulated"`
	Deadline   time.Time      `json:"deadline"`
	Allies     []string       `json:"allies"`
	Result     ProposalStatus `json:"result"` // circulating until settled
	Settled    time.Time      `json:"settled,omitzero"`
	// Blocker is the ally that broke silence or objected, and why.
	Blocker      string   `json:"blocker,omitempty"`
	BlockReason  string   `json:"block_reason,omitempty"`
	Concurred    []string `json:"concurred,omitempty"`
	NotConcurred []string `json:"not_concurred,omitempty"` // concurrence: allies still missing
}

// Proposal is a draft decision of the North Atlantic Council, tabled by
// an ally or a NATO body. Its state is derived from its record, settled at
// the instant it was read: reading after a deadline shows the result.
type Proposal struct {
	ID        int64          `json:"id"`
	Title     string         `json:"title"`
	Text      string         `json:"text"`
	Proposer  string         `json:"proposer"` // organisation code
	Procedure Procedure      `json:"procedure"`
	Marking   MarkingSpec    `json:"marking"`
	Status    ProposalStatus `json:"status"`
	// Deadline is the current round's deadline (zero before the first).
	Deadline time.Time `json:"deadline,omitzero"`
	// Allies decide the current round; fixed when it was circulated.
	Allies  []string         `json:"allies,omitempty"`
	Rounds  []Round          `json:"rounds"`
	Record  []DecisionAction `json:"record"`
	Created time.Time        `json:"created"`
	// AsOf is the instant the state was settled at.
	AsOf time.Time `json:"as_of"`
}

// ProposalAct asks for one action on a proposal. Reason is required to
// break silence and to object; Deadline to circulate; Title or Text to
// revise; Text (the comment) to comment.
type ProposalAct struct {
	Kind     DecisionActionKind `json:"kind"`
	Reason   string             `json:"reason,omitempty"`
	Deadline time.Time          `json:"deadline,omitzero"`
	Title    string             `json:"title,omitempty"`
	Text     string             `json:"text,omitempty"`
}

// DecisionService keeps proposals and their records. Every read takes the
// reader: a draft that was never circulated is visible to the proposer's
// organisation only; after that a proposal is visible to its marking's
// audience (proposer as originator). A hidden proposal and a missing one
// look the same. Times come from the store's clock.
type DecisionService interface {
	// CreateProposal tables a draft proposal for by.Org and sets p.ID and
	// its record. EFORBIDDEN unless by is an officer of an ally or a NATO
	// body; EINVALID for a missing title, text or procedure, or a bad
	// marking.
	CreateProposal(ctx context.Context, by Principal, p *Proposal) error
	// Proposal returns one proposal settled at the store's clock.
	// ENOTFOUND if it does not exist or reader may not see it.
	Proposal(ctx context.Context, reader Principal, id int64) (Proposal, error)
	// Proposals returns the proposals reader may see, newest first.
	Proposals(ctx context.Context, reader Principal) ([]Proposal, error)
	// Act performs one action as by and returns the proposal after it.
	// ENOTFOUND if by cannot see the proposal; EFORBIDDEN if by may not
	// take that action (a partner breaking silence or concurring, a
	// non-officer, an ally outside the round, someone other than the
	// proposer revising); ECONFLICT if the state forbids it (after the
	// deadline, twice, on a settled proposal); EINVALID for a missing
	// reason, a deadline in the past or an unknown kind.
	Act(ctx context.Context, by Principal, id int64, a ProposalAct) (Proposal, error)
}
