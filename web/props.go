package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"liaison/stix"
	"liaison/stix/pattern"
)

// member is one top-level property of an object, in the order written.
type member struct {
	Key string
	Val json.RawMessage
}

// members returns the top-level properties of a JSON object in order.
func members(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("web: read object: not a JSON object")
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("web: read object: %w", err)
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("web: read object property %q: %w", k, err)
		}
		out = append(out, member{k, v})
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("web: read object: %w", err)
	}
	return out, nil
}

// propView is one property as the object page shows it.
type propView struct {
	Key     string
	Kind    string // text, time, ref, refs, list, killchain, extrefs, pattern, json
	Text    string
	Time    timeView
	Refs    []refView
	List    []string
	Phases  []phaseView
	ExtRefs []extRefView
}

// refView is a reference to another object: a link only when the reader
// may read that object somewhere, plain text otherwise, the same whether
// the object is hidden or missing.
type refView struct {
	ID   string
	Href string
}

type phaseView struct{ Chain, Phase string }

type extRefView struct {
	Source, ExternalID, Description string
	URL                             string // http or https: a link
	Other                           string // any other URL: text only
}

// hiddenProps are shown elsewhere on the page (the heading, the badges).
var hiddenProps = map[string]bool{"type": true, "id": true}

// props renders the object's properties for people. refHref says where
// a referenced id can be read ("" for nowhere).
func (p *page) props(ms []member, refHref func(string) string) []propView {
	var patternType string
	for _, m := range ms {
		if m.Key == "pattern_type" {
			_ = json.Unmarshal(m.Val, &patternType)
		}
	}
	var out []propView
	for _, m := range ms {
		if hiddenProps[m.Key] {
			continue
		}
		pv := propView{Key: m.Key, Kind: "json", Text: indentJSON(m.Val)}
		var s string
		var ss []string
		switch {
		case m.Key == "pattern" && json.Unmarshal(m.Val, &s) == nil:
			pv.Kind, pv.Text = "pattern", s
			if patternType == "" || patternType == "stix" {
				if pt, err := pattern.Parse(s); err == nil {
					pv.Text = prettyPattern(pt)
				}
			}
		case strings.HasSuffix(m.Key, "_ref") && json.Unmarshal(m.Val, &s) == nil:
			pv.Kind, pv.Refs = "ref", []refView{{ID: s, Href: refHref(s)}}
		case strings.HasSuffix(m.Key, "_refs") && json.Unmarshal(m.Val, &ss) == nil:
			pv.Kind = "refs"
			for _, id := range ss {
				pv.Refs = append(pv.Refs, refView{ID: id, Href: refHref(id)})
			}
		case m.Key == "kill_chain_phases":
			var phases []struct {
				Chain string `json:"kill_chain_name"`
				Phase string `json:"phase_name"`
			}
			if json.Unmarshal(m.Val, &phases) == nil {
				pv.Kind = "killchain"
				for _, ph := range phases {
					pv.Phases = append(pv.Phases, phaseView{ph.Chain, ph.Phase})
				}
			}
		case m.Key == "external_references":
			var refs []struct {
				Source      string `json:"source_name"`
				ExternalID  string `json:"external_id"`
				URL         string `json:"url"`
				Description string `json:"description"`
			}
			if json.Unmarshal(m.Val, &refs) == nil {
				pv.Kind = "extrefs"
				for _, r := range refs {
					ev := extRefView{Source: r.Source, ExternalID: r.ExternalID, Description: r.Description, URL: webURL(r.URL)}
					if ev.URL == "" {
						ev.Other = r.URL
					}
					pv.ExtRefs = append(pv.ExtRefs, ev)
				}
			}
		case json.Unmarshal(m.Val, &s) == nil:
			if t, ok := stix.ParseTimestamp(s); ok {
				pv.Kind, pv.Time = "time", p.when(t)
			} else {
				pv.Kind, pv.Text = "text", s
			}
		case json.Unmarshal(m.Val, &ss) == nil:
			pv.Kind, pv.List = "list", ss
		case len(m.Val) > 0 && m.Val[0] != '{' && m.Val[0] != '[':
			pv.Kind, pv.Text = "text", string(m.Val) // a number, true, false or null
		}
		out = append(out, pv)
	}
	return out
}

// refIDs returns the STIX ids the object references from its top-level
// _ref and _refs properties, once each.
func refIDs(ms []member) []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if _, _, ok := stix.SplitID(id); ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, m := range ms {
		var s string
		var ss []string
		switch {
		case strings.HasSuffix(m.Key, "_ref") && json.Unmarshal(m.Val, &s) == nil:
			add(s)
		case strings.HasSuffix(m.Key, "_refs") && json.Unmarshal(m.Val, &ss) == nil:
			for _, id := range ss {
				add(id)
			}
		}
	}
	return out
}

// webURL keeps an external reference's URL for a link only when it is
// http or https; anything else is shown as text.
func webURL(u string) string {
	l := strings.ToLower(u)
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return u
	}
	return ""
}

// indentJSON pretty-prints a JSON value, two spaces a level.
func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// prettyPattern prints a STIX pattern one observation expression a line,
// with the operators that join them on lines of their own and
// parentheses opened on a level of their own, so a long pattern reads as
// a tree. It prints the same pattern: parsing it gives the same tree.
func prettyPattern(p *pattern.Pattern) string {
	return prettyExpr(p.Expr, "")
}

func exprPrec(e pattern.Expression) int {
	if c, ok := e.(*pattern.Combination); ok {
		return int(c.Op)
	}
	return 3
}

func prettyExpr(e pattern.Expression, indent string) string {
	switch e := e.(type) {
	case *pattern.Combination:
		p := int(e.Op)
		return prettyChild(e.Left, p, indent) + "\n" + indent + e.Op.String() + "\n" + indent + prettyChild(e.Right, p+1, indent)
	case *pattern.Qualified:
		return prettyChild(e.Expr, 3, indent) + " " + e.Qualifier.String()
	}
	return e.String()
}

// prettyChild prints a child expression, in parentheses when it binds
// looser than least.
func prettyChild(e pattern.Expression, least int, indent string) string {
	if exprPrec(e) >= least {
		return prettyExpr(e, indent)
	}
	in := indent + "  "
	return "(\n" + in + prettyExpr(e, in) + "\n" + indent + ")"
}
