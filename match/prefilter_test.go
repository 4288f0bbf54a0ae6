package match

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The literal a regular expression needs never rejects a string the
// expression matches.
func TestNeededLiteral(t *testing.T) {
	cases := []struct {
		expr string
		need []string
		in   []string
	}{
		{`^https?://[a-z0-9.]+/x12$`, []string{"http", "/x12", "://"}, []string{"http://a.b/x12", "https://a/x12", "http://a/x1", "/x12"}},
		{`(?s)^(?s:.*\.evil4\.example)$`, []string{".evil4.example"}, []string{"a.evil4.example", "evil4.example", ".evil4.exampl"}},
		{`abc|abd`, []string{"ab"}, []string{"abc", "abd", "x"}},
		{`(?i)abc`, nil, []string{"ABC", "abc"}},
		{`x(abc)+y`, []string{"abc", "x", "y"}, []string{"xabcabcy", "xy"}},
		{`(ab)*cd`, []string{"cd"}, []string{"cd", "ababcd", "ab"}},
		{`a{2,}bcd`, []string{"bcd", "a"}, []string{"aabcd", "abcd"}},
		{`\x{FFFD}z`, nil, []string{"\xffz", "\ufffdz", "z"}},
		{`é+`, []string{"é"}, []string{"é", "e"}},
		{`^.*$`, nil, []string{"", "anything"}},
		{`(?:ab)?cd`, []string{"cd"}, []string{"cd", "abcd"}},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.expr)
		if got := needed(re); !slices.Equal(got, c.need) {
			t.Errorf("needed(%q) = %q, want %q", c.expr, got, c.need)
		}
		for _, s := range c.in {
			for _, n := range c.need {
				if re.MatchString(s) && !strings.Contains(s, n) {
					t.Errorf("%q matches %q but lacks its needed literal %q", c.expr, s, n)
				}
			}
		}
	}
}
