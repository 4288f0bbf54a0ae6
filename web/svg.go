package web

import (
	"hash/fnv"
	"html/template"
	"strconv"
	"strings"
)

// svg builds an SVG picture as text. Every piece of text and every
// attribute value it writes is escaped here, so the result is safe to
// hand to a template as template.HTML.
type svg struct {
	b strings.Builder
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	return svgEscaper.Replace(s)
}

var svgEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;", `'`, "&#39;")

// num writes a coordinate with at most one decimal.
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(f*10+0.5*sign(f)))/10, 'f', -1, 64)
}

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// open starts an element with attributes given as name, value pairs.
func (s *svg) open(name string, attrs ...string) {
	s.b.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		s.b.WriteString(" " + attrs[i] + `="` + esc(attrs[i+1]) + `"`)
	}
	s.b.WriteString(">")
}

// empty writes an element with no content.
func (s *svg) empty(name string, attrs ...string) {
	s.open(name, attrs...)
	s.b.WriteString("</" + name + ">")
}

func (s *svg) close(name string) { s.b.WriteString("</" + name + ">") }

// text writes escaped character data.
func (s *svg) text(t string) { s.b.WriteString(esc(t)) }

// elem writes an element holding text.
func (s *svg) elem(name, text string, attrs ...string) {
	s.open(name, attrs...)
	s.text(text)
	s.close(name)
}

// html returns the picture for a template.
func (s *svg) html() template.HTML { return template.HTML(s.b.String()) } //nolint:gosec // every part is escaped by esc

// palette is the fill of a node or series, fixed for common STIX types
// and otherwise picked by a hash of the key, so a picture's colours are
// the same on every drawing. The colours keep 3:1 contrast on white.
var palette = []string{"#1f5fa8", "#a8421f", "#2e7d32", "#7b3fa0", "#8a6d00", "#00707a", "#b0246b", "#5d6b00", "#3d4fb5", "#8c4a2f"}

var typeColour = map[string]string{
	"attack-pattern": "#a8421f", "malware": "#b0246b", "intrusion-set": "#7b3fa0", "threat-actor": "#7b3fa0",
	"tool": "#8a6d00", "course-of-action": "#2e7d32", "indicator": "#1f5fa8", "campaign": "#3d4fb5",
	"identity": "#5b5b5b", "x-mitre-tactic": "#00707a", "vulnerability": "#8c4a2f", "report": "#5d6b00",
	"sighting": "#00707a", "location": "#2e7d32", "infrastructure": "#3d4fb5",
}

func colourOf(key string) string {
	if c, ok := typeColour[key]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return palette[h.Sum32()%uint32(len(palette))]
}

// seriesColour is the colour of the i-th series of a chart.
func seriesColour(i int) string { return palette[i%len(palette)] }

// shorten cuts a label to n runes, with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
