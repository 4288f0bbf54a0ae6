package leaktest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"liaison"
)

var (
	proposalRowRE     = regexp.MustCompile(`<tr data-proposal="(\d+)">`)
	consultationRowRE = regexp.MustCompile(`<tr data-consultation="(\d+)">`)
)

// absentID is an id no consultation or proposal of a run has.
const absentID = int64(1 << 40)

// ConsultPages checks the pages of decisions and consultations for r
// over real HTTP, signed in with the form, against the reference: the
// lists name exactly the proposals and consultations the reference
// releases to r; each page of a hidden one is the page of a missing one
// (status and body, once each names its own id), and so is the planner
// asked for a hidden consultation; each page of a visible one answers 200
// and names no STIX id but those r may read, the reference picker (asked
// for every type it offers on an open consultation) included. It reports
// each fault with e.Errorf, "LEAK page …" for a leak, and returns how
// many leaks it found.
func (e *Env) ConsultPages(r *User, cw *ConsultWorld) int {
	b := browserFor(e, r)
	leaks := 0
	leak := func(format string, args ...any) {
		leaks++
		e.Errorf(r, "LEAK page "+format, args...)
	}
	if r.Token == "" {
		// Not a user of the hub: the pages send it to the sign-in form.
		for _, path := range []string{"/decisions", "/consultations", fmt.Sprintf("/decisions/%d", cw.firstProposal()), fmt.Sprintf("/consultations/%d", cw.firstConsultation())} {
			if status, _, _, err := b.get(e, path); err != nil || status != http.StatusSeeOther {
				leak("%s: status %d (%v) for a reader who cannot sign in, want 303 to the form", path, status, err)
			}
		}
		return leaks
	}
	p := r.Principal
	readable := e.ReadableIDs(p)

	// Proposals. Each check asks the lists whole and the pages of a few
	// proposals and consultations drawn at random, so that over the run's
	// phases and readers every page is asked while the run stays short.
	visible := map[int64]bool{}
	for _, pr := range cw.Proposals {
		sees, why := e.SeesProposal(p, pr)
		if sees {
			visible[pr.ID] = true
		}
		if !e.draw(len(cw.Proposals)) {
			continue
		}
		path := fmt.Sprintf("/decisions/%d", pr.ID)
		if !sees {
			leaks += b.sameAsMissingPage(e, r, path, "/decisions/", pr.ID, "")
			continue
		}
		if status, _, body, err := b.get(e, path); err != nil || status != http.StatusOK {
			e.Errorf(r, "MISSING page %s: the reference shows it (%s), the page gives %d %v: %s", path, why, status, err, truncateBody([]byte(body)))
		}
	}
	leaks += b.listedIDs(e, r, "/decisions", proposalRowRE, visible)

	// Consultations, their contributions and the reference picker.
	visible = map[int64]bool{}
	for _, c := range cw.Consultations {
		sees, why := e.SeesConsultation(p, c)
		if sees {
			visible[c.ID] = true
		}
		if !e.draw(len(cw.Consultations)) {
			continue
		}
		path := fmt.Sprintf("/consultations/%d", c.ID)
		if !sees {
			leaks += b.sameAsMissingPage(e, r, path, "/consultations/", c.ID, "")
			leaks += b.sameAsMissingPage(e, r, fmt.Sprintf("/planner?consultation=%d&from=2026-03-02&to=2026-03-03", c.ID), "/planner?consultation=", c.ID, "&from=2026-03-02&to=2026-03-03")
			continue
		}
		paths := []string{path}
		if c.Status == liaison.ConsultationOpen && p.HasRole(liaison.RoleAnalyst) {
			paths = append(paths, path+"?pick="+pickTypes[e.Intn(len(pickTypes))])
		}
		for _, path := range paths {
			status, _, body, err := b.get(e, path)
			if err != nil || status != http.StatusOK {
				e.Errorf(r, "MISSING page %s: the reference shows it (%s), the page gives %d %v: %s", path, why, status, err, truncateBody([]byte(body)))
				continue
			}
			for _, id := range stixIDRE.FindAllString(body, -1) {
				if !readable[id] {
					leak("%s names %s, which the reference hides from %s", path, id, p.Org)
				}
			}
		}
	}
	leaks += b.listedIDs(e, r, "/consultations", consultationRowRE, visible)
	return leaks
}

// pagesPerCheck is how many pages of each kind one check asks, on average.
const pagesPerCheck = 3

// draw decides at random whether to ask the page of one of n things.
func (e *Env) draw(n int) bool { return n <= pagesPerCheck || e.Intn(n) < pagesPerCheck }

// pickTypes are types the reference picker offers (web.pickTypes) that
// the world writes.
var pickTypes = []string{"indicator", "malware", "threat-actor", "attack-pattern", "report"}

func (cw *ConsultWorld) firstProposal() int64 {
	if len(cw.Proposals) > 0 {
		return cw.Proposals[0].ID
	}
	return absentID
}

func (cw *ConsultWorld) firstConsultation() int64 {
	if len(cw.Consultations) > 0 {
		return cw.Consultations[0].ID
	}
	return absentID
}

// sameAsMissingPage asks prefix+id+suffix, hidden from r, and the same
// page of an id that does not exist: both must answer 404 with the same
// body once the quoted id is taken out. It returns 1 on a leak.
func (b *webBrowser) sameAsMissingPage(e *Env, r *User, path, prefix string, id int64, suffix string) int {
	e.stats.Probes.Add(1)
	hs, _, hb, herr := b.get(e, path)
	ms, _, mb, merr := b.get(e, prefix+strconv.FormatInt(absentID, 10)+suffix)
	if herr != nil || merr != nil {
		e.Errorf(r, "page %s: %v / %v", path, herr, merr)
		return 0
	}
	quoted := func(n int64) string { return "&#34;" + strconv.FormatInt(n, 10) + "&#34;" }
	hn := strings.ReplaceAll(hb, quoted(id), "<id>")
	mn := strings.ReplaceAll(mb, quoted(absentID), "<id>")
	switch {
	case hs != http.StatusNotFound || ms != http.StatusNotFound:
		e.Errorf(r, "LEAK page %s: a hidden one gives %d, a missing one %d", path, hs, ms)
		return 1
	case hn != mn:
		e.Errorf(r, "LEAK page %s: hidden and missing pages differ (%d and %d bytes):\n hidden %s\nmissing %s", path, len(hb), len(mb), truncateBody(diffAt(hn, mn)), truncateBody(diffAt(mn, hn)))
		return 1
	}
	return 0
}

// listedIDs reads a list page's rows and compares them with visible.
func (b *webBrowser) listedIDs(e *Env, r *User, path string, row *regexp.Regexp, visible map[int64]bool) int {
	status, _, body, err := b.get(e, path)
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "page %s: %d %v", path, status, err)
		return 0
	}
	leaks := 0
	listed := map[int64]bool{}
	for _, m := range row.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		listed[id] = true
		if !visible[id] {
			leaks++
			e.Errorf(r, "LEAK page %s lists %d, which the reference hides", path, id)
		}
	}
	for id := range visible {
		if !listed[id] {
			e.Errorf(r, "MISSING page %s does not list %d", path, id)
		}
	}
	return leaks
}
