package match

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// needed returns literals that every string re matches must contain,
// those of the expression's top-level concatenation, longest first, or
// none (an alternation at the top, a case-folded literal, …).
// Checking it with strings.Contains before running re rejects most
// strings at the cost of a substring search: the residual set's LIKE and
// MATCHES comparisons are tried on every object of their type, and most
// do not hold.
func needed(re *regexp.Regexp) []string {
	if re == nil {
		return nil
	}
	r, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil // not reached: re compiled from the same source
	}
	var out []string
	for _, s := range requiredLiterals(r.Simplify()) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// requiredLiterals returns literals that any match of r contains.
func requiredLiterals(r *syntax.Regexp) []string {
	switch r.Op {
	case syntax.OpLiteral:
		if r.Flags&syntax.FoldCase != 0 {
			return nil
		}
		s := string(r.Rune)
		// An invalid byte in the input reads as U+FFFD, which no substring
		// search for the rune's own encoding would find.
		if strings.ContainsRune(s, utf8.RuneError) {
			return nil
		}
		return []string{s}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(r.Sub[0])
	case syntax.OpRepeat:
		if r.Min >= 1 {
			return requiredLiterals(r.Sub[0])
		}
	case syntax.OpConcat:
		var out []string
		for _, s := range r.Sub {
			out = append(out, requiredLiterals(s)...)
		}
		return out
	}
	return nil
}
