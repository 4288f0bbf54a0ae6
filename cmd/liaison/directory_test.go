package main

import "testing"

// TestAgreementWithANonPartner checks the message for an agreement with an
// ally or a NATO body: "an ally", never "a ally".
func TestAgreementWithANonPartner(t *testing.T) {
	c, _ := initialised(t)
	tests := []struct{ partner, want string }{
		{"FRA", "liaison agreement add: agreement partner FRA is an ally, not a partner\n"},
		{"NATO-IS", "liaison agreement add: agreement partner NATO-IS is a nato-body, not a partner\n"},
	}
	for _, tt := range tests {
		r := c.run("", "agreement", "add", "--partner", tt.partner, "--kind", "security", "--max-classification", "NATO SECRET")
		if r.code != 2 || r.stderr != tt.want {
			t.Errorf("agreement with %s: exit %d, stderr %q; want 2 and %q", tt.partner, r.code, r.stderr, tt.want)
		}
	}
	if out := c.must("", "agreement", "list").stdout; out != "ID  PARTNER  KIND  NAME / LEVEL  FROM  UNTIL  IN FORCE\n" {
		t.Errorf("a refused agreement was recorded:\n%s", out)
	}
}

func TestWithArticle(t *testing.T) {
	for word, want := range map[string]string{"ally": "an ally", "partner": "a partner", "nato-body": "a nato-body", "officer": "an officer"} {
		if got := withArticle(word); got != want {
			t.Errorf("withArticle(%q) = %q, want %q", word, got, want)
		}
	}
}
