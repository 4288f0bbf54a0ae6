package match

import (
	"encoding/json"
	"fmt"
	"time"

	"liaison/stix/pattern"
)

// ParseIndicator reads a STIX 2.1 indicator object and compiles its
// pattern. Only pattern_type "stix" is matched: another pattern type is an
// error that says so. Errors name the indicator and the property.
func ParseIndicator(raw []byte) (*Indicator, error) {
	var o struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		Modified    string `json:"modified"`
		Pattern     string `json:"pattern"`
		PatternType string `json:"pattern_type"`
		ValidFrom   string `json:"valid_from"`
		ValidUntil  string `json:"valid_until"`
		Revoked     bool   `json:"revoked"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("indicator: %v", err)
	}
	fail := func(prop, format string, args ...any) error {
		return fmt.Errorf("indicator %s: property %q: %s", o.ID, prop, fmt.Sprintf(format, args...))
	}
	if o.Type != "indicator" {
		return nil, fmt.Errorf("indicator: type is %q, not indicator", o.Type)
	}
	if o.ID == "" {
		return nil, fmt.Errorf("indicator: property \"id\" is required")
	}
	if o.PatternType != "stix" {
		return nil, fail("pattern_type", "is %q: only stix patterns are matched", o.PatternType)
	}
	ind := &Indicator{ID: o.ID, Revoked: o.Revoked}
	for _, f := range []struct {
		prop, val string
		t         *time.Time
		required  bool
	}{{"modified", o.Modified, &ind.Modified, true}, {"valid_from", o.ValidFrom, &ind.ValidFrom, true}, {"valid_until", o.ValidUntil, &ind.ValidUntil, false}} {
		if f.val == "" {
			if f.required {
				return nil, fail(f.prop, "is required")
			}
			continue
		}
		t, ok := pattern.ParseTimestamp(f.val)
		if !ok {
			return nil, fail(f.prop, "%q is not a STIX timestamp", f.val)
		}
		*f.t = t
	}
	p, err := Compile(o.Pattern)
	if err != nil {
		return nil, fail("pattern", "%v", err)
	}
	ind.Pattern = p
	return ind, nil
}
