// Package edt is NATO's catalogue of emerging and disruptive technology
// (EDT) areas, shipped as versioned data in the binary (areas.json, which
// cites its source), and the one way the office tags things with an
// area: the label "edt-" followed by the area's slug (edt-quantum), in a
// STIX object's labels, a consultation's topics, a collection's topic,
// or as a word in a partnership programme's objective.
package edt

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

//go:embed areas.json
var areasJSON []byte

// Area is one EDT area.
type Area struct {
	Slug    string `json:"slug"`
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Retired bool   `json:"retired,omitempty"`
}

// Label is how the area is tagged everywhere: "edt-" and its slug.
func (a Area) Label() string { return LabelPrefix + a.Slug }

// LabelPrefix starts every EDT label.
const LabelPrefix = "edt-"

// Catalogue is the shipped list and where it comes from.
type Catalogue struct {
	Version   string `json:"version"`
	Source    string `json:"source"`
	SourceURL string `json:"source_url"`
	Note      string `json:"note"`
	Areas     []Area `json:"areas"`
}

var shipped = func() Catalogue {
	c, err := parse(areasJSON)
	if err != nil {
		panic(err) // the embedded file is checked by TestShipped
	}
	return c
}()

func parse(b []byte) (Catalogue, error) {
	var c Catalogue
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("edt: areas.json: %w", err)
	}
	if c.Version == "" || c.SourceURL == "" {
		return c, fmt.Errorf("edt: areas.json: a version and a source_url are required")
	}
	seen := map[string]bool{}
	for i, a := range c.Areas {
		if a.Slug == "" || a.Name == "" || strings.IndexFunc(a.Slug, func(r rune) bool { return !(r >= 'a' && r <= 'z' || unicode.IsDigit(r)) }) >= 0 {
			return c, fmt.Errorf("edt: areas.json: area %d: a slug of lower-case letters and digits and a name are required", i)
		}
		if seen[a.Slug] {
			return c, fmt.Errorf("edt: areas.json: area %q is listed twice", a.Slug)
		}
		seen[a.Slug] = true
	}
	return c, nil
}

// Shipped returns the catalogue built into this binary.
func Shipped() Catalogue {
	c := shipped
	c.Areas = slices.Clone(c.Areas)
	return c
}

// Find returns the area with this slug.
func Find(slug string) (Area, bool) {
	for _, a := range shipped.Areas {
		if a.Slug == slug {
			return a, true
		}
	}
	return Area{}, false
}

// Of returns the areas that labels tag, in the catalogue's order.
func Of(labels []string) []Area {
	var out []Area
	for _, a := range shipped.Areas {
		if slices.Contains(labels, a.Label()) {
			out = append(out, a)
		}
	}
	return out
}

// InText reports whether text carries the area's label as a word of its
// own (a programme objective tagged "… (edt-quantum)").
func (a Area) InText(text string) bool {
	l := a.Label()
	for i := 0; ; {
		j := strings.Index(text[i:], l)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(l)
		if (start == 0 || !wordByte(text[start-1])) && (end == len(text) || !wordByte(text[end])) {
			return true
		}
		i = end
	}
}

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_'
}
