// Package pattern parses the STIX 2.1 patterning language (STIX 2.1 part
// 9) into an exported syntax tree. The parser is hand-written and covers
// the whole grammar: observation expressions joined by AND, OR and
// FOLLOWEDBY with parentheses and the WITHIN, REPEATS and START/STOP
// qualifiers; comparison expressions with =, !=, <, <=, >, >=, IN, LIKE,
// MATCHES, ISSUBSET, ISSUPERSET, EXISTS and NOT; object paths with quoted
// components and list indexes; and every constant type.
//
// The tree is meant for evaluation: a matcher walks Pattern.Expr against
// observations. Every node records the byte offset where it starts.
package pattern

import (
	"time"
)

// Pattern is one parsed pattern.
type Pattern struct {
	Expr Expression // the whole observation expression
}

// Expression is an observation expression: *Observation, *Combination or
// *Qualified.
type Expression interface {
	Pos() int // byte offset in the pattern where the expression starts
	String() string
	expression()
}

// Observation is a bracketed comparison expression, "[ … ]": it matches
// when one observation satisfies Comparison.
type Observation struct {
	Offset     int
	Comparison Comparison
}

// ObservationOp joins two observation expressions.
type ObservationOp int

// Observation operators, from loosest to tightest binding.
const (
	FollowedBy ObservationOp = iota // left matches, then right matches later
	ObsOr                           // either side matches
	ObsAnd                          // both sides match
)

var obsOpNames = [...]string{"FOLLOWEDBY", "OR", "AND"}

func (op ObservationOp) String() string { return obsOpNames[op] }

// Combination is Left Op Right. Chains are left-associative:
// a AND b AND c is (a AND b) AND c.
type Combination struct {
	Offset      int
	Op          ObservationOp
	Left, Right Expression
}

// Qualified is an observation expression restricted by a qualifier.
// Qualifiers stack: [a] REPEATS 2 TIMES WITHIN 10 SECONDS is a Qualified
// (WITHIN) around a Qualified (REPEATS).
type Qualified struct {
	Offset    int
	Expr      Expression
	Qualifier Qualifier
}

// Qualifier is *Within, *Repeats or *StartStop.
type Qualifier interface {
	String() string
	qualifier()
}

// Within restricts all matching observations to a window of Seconds
// seconds (positive).
type Within struct {
	Seconds float64
	Literal string // the number as written
}

// Repeats requires the expression to match Times (positive) times.
type Repeats struct {
	Times int64
}

// StartStop restricts matching observations to [Start, Stop).
// Stop is after Start.
type StartStop struct {
	Start, Stop               time.Time
	StartLiteral, StopLiteral string // the timestamps as written
}

// Comparison is a comparison expression inside brackets: *Test, *Exists
// or *BoolExpr.
type Comparison interface {
	Pos() int
	String() string
	comparison()
}

// BoolOp joins comparison expressions.
type BoolOp int

// Comparison operators between comparison expressions; AND binds tighter.
const (
	Or BoolOp = iota
	And
)

func (op BoolOp) String() string {
	if op == And {
		return "AND"
	}
	return "OR"
}

// BoolExpr is Left Op Right, left-associative.
type BoolExpr struct {
	Offset      int
	Op          BoolOp
	Left, Right Comparison
}

// Operator is a comparison operator between an object path and constants.
type Operator int

// Comparison operators.
const (
	Equal Operator = iota
	NotEqual
	Less
	LessEqual
	Greater
	GreaterEqual
	In
	Like
	Matches
	IsSubset
	IsSuperset
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"}

func (op Operator) String() string { return opNames[op] }

// Test compares the value at Path with Value (or, for IN, with each
// constant of Set). Negated means the comparison was written with NOT
// before the operator.
type Test struct {
	Offset  int
	Path    Path
	Negated bool
	Op      Operator
	Value   Constant   // all operators but In
	Set     []Constant // In only; may be empty
}

// Exists is "EXISTS path": true when the property is present.
type Exists struct {
	Offset int
	Path   Path
}

// Path is an object path such as file:extensions.'windows-pebinary-ext'.sections[*].entropy.
type Path struct {
	Offset     int
	ObjectType string // e.g. "file"
	Steps      []Step // at least one; the first is a property
}

// StepKind says what a Step selects.
type StepKind int

// Step kinds.
const (
	Property StepKind = iota // a dictionary key or property name
	Index                    // one list item; negative counts from the end
	AnyIndex                 // [*]: any list item
)

// Step is one component of an object path after the object type.
type Step struct {
	Kind  StepKind
	Name  string // Property
	Index int64  // Index
}

// Kind is the type of a Constant.
type Kind int

// Constant kinds.
const (
	String Kind = iota
	Int
	Float
	Bool
	Binary    // b'…' base64
	Hex       // h'…'
	Timestamp // t'…'
)

var kindNames = [...]string{"string", "integer", "float", "boolean", "binary", "hex", "timestamp"}

func (k Kind) String() string { return kindNames[k] }

// Constant is a literal value. Exactly the field for its Kind is set; Bytes
// holds the decoded octets of Binary and Hex constants.
type Constant struct {
	Offset int
	Kind   Kind
	Str    string
	Int    int64
	Float  float64
	Bool   bool
	Bytes  []byte
	Time   time.Time
	Raw    string // the literal as written
}

func (e *Observation) Pos() int { return e.Offset }
func (e *Combination) Pos() int { return e.Offset }
func (e *Qualified) Pos() int   { return e.Offset }
func (e *BoolExpr) Pos() int    { return e.Offset }
func (e *Test) Pos() int        { return e.Offset }
func (e *Exists) Pos() int      { return e.Offset }

func (*Observation) expression() {}
func (*Combination) expression() {}
func (*Qualified) expression()   {}
func (*BoolExpr) comparison()    {}
func (*Test) comparison()        {}
func (*Exists) comparison()      {}
func (*Within) qualifier()       {}
func (*Repeats) qualifier()      {}
func (*StartStop) qualifier()    {}
