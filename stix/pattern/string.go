package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// Binding strengths for printing: a child binding looser than its parent
// is parenthesised.
func obsPrec(e Expression) int {
	if c, ok := e.(*Combination); ok {
		return int(c.Op)
	}
	return 3
}

func wrapObs(e Expression, least int) string {
	if obsPrec(e) < least {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// String prints the observation as "[comparison]".
func (e *Observation) String() string { return "[" + e.Comparison.String() + "]" }

// String prints the combination with the parentheses its tree needs.
func (e *Combination) String() string {
	p := int(e.Op)
	return wrapObs(e.Left, p) + " " + e.Op.String() + " " + wrapObs(e.Right, p+1)
}

// String prints the qualified expression.
func (e *Qualified) String() string {
	return wrapObs(e.Expr, 3) + " " + e.Qualifier.String()
}

// String prints "WITHIN n SECONDS".
func (q *Within) String() string { return "WITHIN " + q.Literal + " SECONDS" }

// String prints "REPEATS n TIMES".
func (q *Repeats) String() string { return "REPEATS " + strconv.FormatInt(q.Times, 10) + " TIMES" }

// String prints "START t'…' STOP t'…'".
func (q *StartStop) String() string {
	return "START t'" + q.StartLiteral + "' STOP t'" + q.StopLiteral + "'"
}

func compPrec(c Comparison) int {
	if b, ok := c.(*BoolExpr); ok {
		return int(b.Op)
	}
	return 2
}

func wrapComp(c Comparison, least int) string {
	if compPrec(c) < least {
		return "(" + c.String() + ")"
	}
	return c.String()
}

// String prints the boolean expression with the parentheses it needs.
func (e *BoolExpr) String() string {
	p := int(e.Op)
	return wrapComp(e.Left, p) + " " + e.Op.String() + " " + wrapComp(e.Right, p+1)
}

// String prints "EXISTS path".
func (e *Exists) String() string { return "EXISTS " + e.Path.String() }

// String prints "path [NOT] op value".
func (e *Test) String() string {
	var b strings.Builder
	b.WriteString(e.Path.String())
	if e.Negated {
		b.WriteString(" NOT")
	}
	b.WriteString(" " + e.Op.String() + " ")
	if e.Op == In {
		b.WriteString("(")
		for i, c := range e.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.String())
		}
		b.WriteString(")")
	} else {
		b.WriteString(e.Value.String())
	}
	return b.String()
}

// String prints the path, quoting components that need it.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.ObjectType + ":")
	for i, s := range p.Steps {
		switch s.Kind {
		case Property:
			if i > 0 {
				b.WriteString(".")
			}
			if plainName(s.Name) {
				b.WriteString(s.Name)
			} else {
				b.WriteString(quote(s.Name))
			}
		case Index:
			b.WriteString("[" + strconv.FormatInt(s.Index, 10) + "]")
		case AnyIndex:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// plainName reports whether a path component can be written unquoted.
func plainName(s string) bool {
	if s == "" || !isIdentStart(s[0]) || keywords[s] || (len(s) > 1 && s[1] == '\'') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentChar(s[i]) || s[i] == '-' {
			return false
		}
	}
	l := strings.ToLower(s)
	return l != "true" && l != "false"
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// String prints the constant as a pattern literal.
func (c Constant) String() string {
	switch c.Kind {
	case String:
		return quote(c.Str)
	case Int:
		return strconv.FormatInt(c.Int, 10)
	case Float:
		return c.Raw
	case Bool:
		return strconv.FormatBool(c.Bool)
	case Binary:
		return "b'" + base64.StdEncoding.EncodeToString(c.Bytes) + "'"
	case Hex:
		return "h'" + hex.EncodeToString(c.Bytes) + "'"
	case Timestamp:
		return "t'" + c.Raw + "'"
	}
	return ""
}
