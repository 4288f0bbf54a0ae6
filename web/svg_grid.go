package web

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"liaison"
)

// allyState is what one ally did in a round.
type allyState string

// The states of an ally in a round, as the grid shows them.
const (
	stateSilent       allyState = "silent"
	stateConcurred    allyState = "concurred"
	stateBrokeSilence allyState = "broke silence"
	stateObjected     allyState = "objected"
)

// gridStyle is how a state is drawn: a fill, a text colour, and a mark
// besides the colour, so that colour is never the only signal.
var gridStyle = map[allyState]struct{ fill, ink, mark string }{
	stateSilent:       {"#e9edf2", "#1b2733", ""},
	stateConcurred:    {"#1e7b34", "#ffffff", "✓"},
	stateBrokeSilence: {"#b00020", "#ffffff", "!"},
	stateObjected:     {"#5b2a86", "#ffffff", "✗"},
}

var gridOrder = []allyState{stateSilent, stateConcurred, stateBrokeSilence, stateObjected}

// gridCell is one ally in the grid.
type gridCell struct {
	Org    string
	State  allyState
	Reason string
}

// gridLegend is one state in the legend, with its allies.
type gridLegend struct {
	State allyState
	Fill  string
	Mark  string
	Orgs  []string
}

// gridPicture is the decision grid: the SVG, its cells and its legend
// (which is also the text equivalent).
type gridPicture struct {
	SVG    template.HTML
	Cells  []gridCell
	Legend []gridLegend
	Total  int
}

// roundStates returns what each ally of round r did, from the record:
// in code order, the allies as fixed when the round was circulated.
func roundStates(pr liaison.Proposal, r liaison.Round) []gridCell {
	allies := slices.Clone(r.Allies)
	slices.Sort(allies)
	acted := map[string]gridCell{}
	for _, e := range pr.Record {
		if e.Round != r.Number {
			continue
		}
		switch e.Kind {
		case liaison.ActConcur:
			acted[e.Org] = gridCell{Org: e.Org, State: stateConcurred, Reason: e.Reason}
		case liaison.ActBreakSilence:
			acted[e.Org] = gridCell{Org: e.Org, State: stateBrokeSilence, Reason: e.Reason}
		case liaison.ActObject:
			acted[e.Org] = gridCell{Org: e.Org, State: stateObjected, Reason: e.Reason}
		}
	}
	out := make([]gridCell, 0, len(allies))
	for _, a := range allies {
		c, ok := acted[a]
		if !ok {
			c = gridCell{Org: a, State: stateSilent}
		}
		out = append(out, c)
	}
	return out
}

// Grid geometry, in SVG user units.
const (
	gridCols  = 8
	gridCellW = 76
	gridCellH = 40
	gridGap   = 6
)

// decisionGrid draws round r of pr: every ally that decides it, in code
// order, eight to a row, coloured by what it did, each cell labelled with
// its code and a mark. The layout depends only on the data.
func decisionGrid(pr liaison.Proposal, r liaison.Round) gridPicture {
	cells := roundStates(pr, r)
	g := gridPicture{Cells: cells, Total: len(cells)}
	byState := map[allyState][]string{}
	for _, c := range cells {
		byState[c.State] = append(byState[c.State], c.Org)
	}
	for _, st := range gridOrder {
		g.Legend = append(g.Legend, gridLegend{State: st, Fill: gridStyle[st].fill, Mark: gridStyle[st].mark, Orgs: byState[st]})
	}
	rows := max(1, (len(cells)+gridCols-1)/gridCols)
	w := gridCols*(gridCellW+gridGap) - gridGap
	h := rows*(gridCellH+gridGap) - gridGap
	var b strings.Builder
	var summary []string
	for _, st := range gridOrder {
		if n := len(byState[st]); n > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", n, st))
		}
	}
	fmt.Fprintf(&b, `<svg class="grid" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="grid-title grid-desc">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="grid-title">Round %d: what each of the %d allies did</title>`, r.Number, len(cells))
	fmt.Fprintf(&b, `<desc id="grid-desc">%s.</desc>`, template.HTMLEscapeString(strings.Join(summary, ", ")))
	for i, c := range cells {
		x := (i % gridCols) * (gridCellW + gridGap)
		y := (i / gridCols) * (gridCellH + gridGap)
		st := gridStyle[c.State]
		label := c.Org
		if st.mark != "" {
			label += " " + st.mark
		}
		fmt.Fprintf(&b, `<g data-org="%s" data-state="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="%s" stroke="#9aa5b1"/>`,
			template.HTMLEscapeString(c.Org), c.State, x, y, gridCellW, gridCellH, st.fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" dominant-baseline="central" font-size="15" font-weight="700" fill="%s">%s</text></g>`,
			x+gridCellW/2, y+gridCellH/2, st.ink, template.HTMLEscapeString(label))
	}
	b.WriteString(`</svg>`)
	g.SVG = template.HTML(b.String()) // every text in it is escaped above
	return g
}
