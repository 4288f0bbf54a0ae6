package web

import (
	"net/http"
	"strings"

	"liaison"
)

// maxDiffLines bounds each side of a line diff; larger versions are shown
// side by side without one.
const maxDiffLines = 2000

// diffLine is one line of a diff: "=" the same in both, "-" only in the
// older, "+" only in the newer.
type diffLine struct {
	Op   string
	Text string
	A, B int // line numbers, 0 when absent on that side
}

// lineDiff returns the shortest edit of a into b, line by line, as a
// longest common subsequence. It returns nil when either side exceeds
// maxDiffLines.
func lineDiff(a, b []string) []diffLine {
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		return nil
	}
	// Common prefix and suffix cost nothing to find and often are most.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	// lcs[i][j] is the length of the LCS of ma[i:] and mb[j:].
	w := len(mb) + 1
	lcs := make([]uint16, (len(ma)+1)*w)
	for i := len(ma) - 1; i >= 0; i-- {
		for j := len(mb) - 1; j >= 0; j-- {
			if ma[i] == mb[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	out := make([]diffLine, 0, len(a)+len(b))
	for k := 0; k < pre; k++ {
		out = append(out, diffLine{"=", a[k], k + 1, k + 1})
	}
	i, j := 0, 0
	for i < len(ma) || j < len(mb) {
		switch {
		case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
			out = append(out, diffLine{"=", ma[i], pre + i + 1, pre + j + 1})
			i++
			j++
		case i < len(ma) && (j == len(mb) || lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			out = append(out, diffLine{"-", ma[i], pre + i + 1, 0})
			i++
		default:
			out = append(out, diffLine{"+", mb[j], 0, pre + j + 1})
			j++
		}
	}
	for k := 0; k < suf; k++ {
		out = append(out, diffLine{"=", a[len(a)-suf+k], len(a) - suf + k + 1, len(b) - suf + k + 1})
	}
	return out
}

// diffView is what the diff page shows.
type diffView struct {
	Object       objectView
	From, To     versionView
	Lines        []diffLine
	TooLarge     bool
	FromRaw      string
	ToRaw        string
	Added, Taken int
}

// diff compares two versions the reader may read, as a line diff of
// their pretty-printed JSON.
func (s *Server) diff(p *page) error {
	c, vs, _, err := s.objectIn(p)
	if err != nil {
		return err
	}
	qv := p.r.URL.Query()
	for k := range qv {
		if k != "from" && k != "to" {
			return liaison.Errorf(liaison.EINVALID, "field %s is unknown: a comparison takes from and to", truncate(k, 40))
		}
	}
	for _, f := range []string{"from", "to"} {
		if qv.Get(f) == "" {
			return liaison.Errorf(liaison.EINVALID, "field %s is missing: name the version to compare (an RFC 3339 timestamp)", f)
		}
	}
	id := vs[0].ID
	from, err := pick(vs, "from", qv.Get("from"), id)
	if err != nil {
		return err
	}
	to, err := pick(vs, "to", qv.Get("to"), id)
	if err != nil {
		return err
	}
	lf, err := p.label(from)
	if err != nil {
		return err
	}
	lt, err := p.label(to)
	if err != nil {
		return err
	}
	f := fieldsOf(to.Raw)
	dv := diffView{
		Object:  objectView{Coll: c, ID: id, Type: to.Type, Title: f.title(to.Type)},
		From:    p.versionOf(c.ID, from, lf),
		To:      p.versionOf(c.ID, to, lt),
		FromRaw: indentJSON(from.Raw), ToRaw: indentJSON(to.Raw),
	}
	dv.Lines = lineDiff(strings.Split(dv.FromRaw, "\n"), strings.Split(dv.ToRaw, "\n"))
	dv.TooLarge = dv.Lines == nil
	for _, l := range dv.Lines {
		switch l.Op {
		case "+":
			dv.Added++
		case "-":
			dv.Taken++
		}
	}
	return p.render(http.StatusOK, "diff.html", "Changes to "+dv.Object.Title, "objects", dv)
}
