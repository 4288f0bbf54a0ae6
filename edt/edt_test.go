package edt

import "testing"

// TestShipped: the embedded catalogue parses, cites NATO, and holds the
// areas DOMAIN.md names.
func TestShipped(t *testing.T) {
	c, err := parse(areasJSON)
	if err != nil {
		t.Fatal(err)
	}
	if c.SourceURL != "https://www.nato.int/cps/en/natohq/topics_184303.htm" {
		t.Errorf("source %q", c.SourceURL)
	}
	for _, slug := range []string{"ai", "data", "autonomy", "quantum", "biotech", "hypersonics", "space", "materials", "energy", "comms"} {
		if _, ok := Find(slug); !ok {
			t.Errorf("no area %s", slug)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"not JSON", `{`},
		{"no version", `{"source_url":"x","areas":[]}`},
		{"bad slug", `{"version":"1","source_url":"x","areas":[{"slug":"A I","name":"AI"}]}`},
		{"twice", `{"version":"1","source_url":"x","areas":[{"slug":"ai","name":"AI"},{"slug":"ai","name":"AI"}]}`},
	} {
		if _, err := parse([]byte(c.in)); err == nil {
			t.Errorf("%s: parsed", c.name)
		}
	}
}

func TestOfAndInText(t *testing.T) {
	q, _ := Find("quantum")
	for _, c := range []struct {
		text string
		want bool
	}{
		{"Quantum-safe pilot (edt-quantum)", true},
		{"edt-quantum", true},
		{"edt-quantums", false},
		{"xedt-quantum", false},
		{"edt-quantum-x", false},
		{"edt-quantum; edt-ai", true},
		{"nothing", false},
	} {
		if got := q.InText(c.text); got != c.want {
			t.Errorf("InText(%q) = %v", c.text, got)
		}
	}
	got := Of([]string{"edt-space", "cyber", "edt-ai", "edt-nope"})
	if len(got) != 2 || got[0].Slug != "ai" || got[1].Slug != "space" {
		t.Errorf("Of: %+v", got)
	}
}
