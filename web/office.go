package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// Running the office in the browser (ARCHITECTURE.md, "Running the
// directory"): organisations, communities, agreements and programmes with
// the progress of their objectives. Admins change the directory; officers
// of allies and NATO bodies read these pages and record objective
// progress. Every directory change is first previewed (how many versions
// each organisation would gain or lose, computed by the store without
// writing), then confirmed, and runs as a job whose page shows the
// recompute's progress.

func (s *Server) officeRoutes() {
	s.handle("GET /office/organisations", s.signedIn(s.orgsPage))
	s.handle("GET /office/communities", s.signedIn(s.communitiesPage))
	s.handle("GET /office/agreements", s.signedIn(s.agreementsPage))
	s.handle("POST /office/change", s.signedIn(s.changeForm))
	s.handle("POST /office/recompute", s.signedIn(s.recomputeForm))
	s.handle("POST /office/progress", s.signedIn(s.progressForm))
	s.handle("GET /office/jobs/{id}", s.signedIn(s.jobPage))
	s.handle("GET /office/jobs/{id}/state", s.signedIn(s.jobStateJSON))
}

// errNotAdmin is what anyone but an admin gets for the preview, the
// changes and the jobs, whatever exists.
var errNotAdmin = liaison.Errorf(liaison.EFORBIDDEN, "changing the directory is for the office's admins")

func isAdmin(p *page) bool { return p.p != nil && p.p.HasRole(liaison.RoleAdmin) }

// mayViewOffice: admins, and officers of allies and NATO bodies (a
// partner does not learn another partner's agreements).
func (s *Server) mayViewOffice(p *page) error {
	if isAdmin(p) {
		return nil
	}
	if p.p != nil && p.p.HasRole(liaison.RoleOfficer) {
		kind, err := s.orgKind(p)
		if err != nil {
			return err
		}
		if kind == liaison.Ally || kind == liaison.NATOBody {
			return nil
		}
	}
	return liaison.Errorf(liaison.EFORBIDDEN, "the office's directory pages are for admins, and for officers of allies and NATO bodies")
}

// officeView is what every directory page shows around its own part.
type officeView struct {
	Admin   bool
	Tab     string
	Orgs    []liaison.Organisation
	Kinds   []liaison.OrgKind
	Levels  []string
	Builtin []communityRow
	Comms   []communityRow
	Sec     []agreementRow
	Progs   []programmeRow
	Today   string
}

type communityRow struct {
	Name, Members, Expands string
}

type agreementRow struct {
	liaison.Agreement
	Level, From, Until, State string
	InForce                   bool
}

type programmeRow struct {
	agreementRow
	Areas      string
	Objectives []objectiveRow
}

type objectiveRow struct {
	N       int
	Text    string
	Percent int
	Set     bool
	History []progressRow
}

type progressRow struct {
	Percent        int
	Note, By, When string
}

func dateOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02")
}

// officeData reads what the directory pages show.
func (s *Server) officeData(p *page, tab string) (officeView, error) {
	ctx := p.r.Context()
	v := officeView{Admin: isAdmin(p), Tab: tab, Kinds: []liaison.OrgKind{liaison.Ally, liaison.Partner, liaison.NATOBody}, Today: s.cfg.Now().UTC().Format("2006-01-02")}
	for c := liaison.NATOUnclassified; c <= liaison.CosmicTopSecret; c++ {
		v.Levels = append(v.Levels, c.String())
	}
	d, err := s.store.Directory(ctx)
	if err != nil {
		return v, err
	}
	v.Orgs = d.Organisations()
	for _, n := range []string{liaison.CommunityNATO, liaison.CommunityIP4, liaison.CommunityAll} {
		v.Builtin = append(v.Builtin, communityRow{Name: n, Expands: strings.Join(d.Expand(n), ", ")})
	}
	cs, err := s.store.Communities(ctx)
	if err != nil {
		return v, err
	}
	for _, c := range cs {
		v.Comms = append(v.Comms, communityRow{Name: c.Name, Members: strings.Join(c.Members, ", "), Expands: strings.Join(d.Expand(c.Name), ", ")})
	}
	as, err := s.store.Agreements(ctx)
	if err != nil {
		return v, err
	}
	now := s.cfg.Now()
	for _, a := range as {
		r := agreementRow{Agreement: a, From: dateOr(a.From, "the start"), Until: dateOr(a.Until, "open-ended"), InForce: a.InForce(now)}
		switch {
		case r.InForce:
			r.State = "in force"
		case !a.Until.IsZero() && !now.Before(a.Until):
			r.State = "ended"
		default:
			r.State = "not yet in force"
		}
		if a.Kind == liaison.SecurityAgreement {
			r.Level = a.MaxClassification.String()
			v.Sec = append(v.Sec, r)
			continue
		}
		pr := programmeRow{agreementRow: r, Areas: strings.Join(a.Areas, ", ")}
		hist, err := s.store.ObjectiveProgress(ctx, a.ID)
		if err != nil {
			return v, err
		}
		for i, o := range a.Objectives {
			or := objectiveRow{N: i + 1, Text: o}
			for _, h := range hist {
				if h.Objective == i {
					or.Percent, or.Set = h.Percent, true
					or.History = append(or.History, progressRow{Percent: h.Percent, Note: h.Note, By: h.By, When: h.At.In(p.zone).Format("2006-01-02 15:04")})
				}
			}
			pr.Objectives = append(pr.Objectives, or)
		}
		v.Progs = append(v.Progs, pr)
	}
	return v, nil
}

func (s *Server) officePage(p *page, tab, title string) error {
	if err := s.mayViewOffice(p); err != nil {
		return err
	}
	v, err := s.officeData(p, tab)
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "office-"+tab+".html", title, "office", v)
}

func (s *Server) orgsPage(p *page) error { return s.officePage(p, "organisations", "Organisations") }
func (s *Server) communitiesPage(p *page) error {
	return s.officePage(p, "communities", "Communities")
}
func (s *Server) agreementsPage(p *page) error {
	return s.officePage(p, "agreements", "Agreements and programmes")
}

// pendingChange is a change read from a form: what it is in words, the
// directory change the preview weighs, and how to make it.
type pendingChange struct {
	What   string
	Back   string
	Change liaison.DirectoryChange
}

// formDate reads a date field (YYYY-MM-DD, UTC midnight); empty is zero.
func formDate(f url.Values, field string) (time.Time, error) {
	v := strings.TrimSpace(f.Get(field))
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, liaison.Errorf(liaison.EINVALID, "%s: want a date such as 2026-03-02", field)
	}
	return t, nil
}

// splitLines reads a field of one entry per line, each trimmed, dropping
// empty lines.
func splitLines(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readChange reads the change a directory form posts. Each form names
// its change in the field "change".
func (s *Server) readChange(p *page) (*pendingChange, error) {
	f := p.r.PostForm
	up := func(field string) string { return strings.ToUpper(strings.TrimSpace(f.Get(field))) }
	switch kind := f.Get("change"); kind {
	case "org-add", "org-edit":
		o := liaison.Organisation{Code: up("code"), Name: strings.TrimSpace(f.Get("name")), Kind: liaison.OrgKind(f.Get("kind")), TimeZone: strings.TrimSpace(f.Get("zone"))}
		if o.Code == "" {
			return nil, liaison.Errorf(liaison.EINVALID, "code: want an organisation code such as DEU or NATO-IS")
		}
		if o.Name == "" {
			return nil, liaison.Errorf(liaison.EINVALID, "name: want the organisation's name, such as Germany")
		}
		if kind == "org-edit" {
			cur, err := s.store.Organisation(p.r.Context(), o.Code)
			if err != nil {
				return nil, err
			}
			o.Kind = cur.Kind
			return &pendingChange{What: "Rename " + o.Code + " to " + o.Name + ", time zone " + zoneWords(o.TimeZone), Back: "/office/organisations", Change: liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &o}}, nil
		}
		if !o.Kind.Valid() {
			return nil, liaison.Errorf(liaison.EINVALID, "kind: want ally, partner or nato-body")
		}
		return &pendingChange{What: "Add " + string(o.Kind) + " " + o.Code + " (" + o.Name + "), time zone " + zoneWords(o.TimeZone), Back: "/office/organisations", Change: liaison.DirectoryChange{Kind: liaison.AddOrganisation, Organisation: &o}}, nil
	case "community-add", "community-members":
		c := liaison.Community{Name: up("name"), Members: splitList(strings.ToUpper(f.Get("members")))}
		if c.Name == "" {
			return nil, liaison.Errorf(liaison.EINVALID, "name: want a community name such as FIVE-EYES")
		}
		if len(c.Members) == 0 {
			return nil, liaison.Errorf(liaison.EINVALID, "members: want organisation codes or communities separated by commas, such as USA, JPN")
		}
		pc := &pendingChange{What: "Create community " + c.Name + " of " + strings.Join(c.Members, ", "), Back: "/office/communities", Change: liaison.DirectoryChange{Kind: liaison.AddCommunity, Community: &c}}
		if kind == "community-members" {
			pc.What, pc.Change.Kind = "Set the members of "+c.Name+" to "+strings.Join(c.Members, ", "), liaison.SetCommunityMembers
		}
		return pc, nil
	case "security-add", "programme-add":
		a := liaison.Agreement{Partner: up("partner"), Name: strings.TrimSpace(f.Get("name"))}
		if a.Partner == "" {
			return nil, liaison.Errorf(liaison.EINVALID, "partner: want a partner organisation, such as KOR")
		}
		var err error
		if a.From, err = formDate(f, "from"); err != nil {
			return nil, err
		}
		if a.Until, err = formDate(f, "until"); err != nil {
			return nil, err
		}
		if kind == "security-add" {
			a.Kind = liaison.SecurityAgreement
			if a.MaxClassification, err = liaison.ParseClassification(f.Get("level")); err != nil {
				return nil, liaison.Errorf(liaison.EINVALID, "level: want one of NATO UNCLASSIFIED, NATO RESTRICTED, NATO CONFIDENTIAL, NATO SECRET, COSMIC TOP SECRET")
			}
			return &pendingChange{What: "Add a security agreement with " + a.Partner + " up to " + a.MaxClassification.String() + " from " + dateOr(a.From, "now") + " until " + dateOr(a.Until, "further notice"), Back: "/office/agreements", Change: liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &a}}, nil
		}
		a.Kind = liaison.Programme
		if a.Name == "" {
			return nil, liaison.Errorf(liaison.EINVALID, "name: want the programme's name, such as ITPP 2026-2029")
		}
		a.Areas, a.Objectives = splitLines(f.Get("areas")), splitLines(f.Get("objectives"))
		return &pendingChange{What: "Add programme " + a.Name + " with " + a.Partner, Back: "/office/agreements", Change: liaison.DirectoryChange{Kind: liaison.AddAgreement, Agreement: &a}}, nil
	case "agreement-end":
		id, err := strconv.ParseInt(strings.TrimSpace(f.Get("agreement")), 10, 64)
		if err != nil || id <= 0 {
			return nil, liaison.Errorf(liaison.EINVALID, "agreement: want the id of an agreement, such as 3")
		}
		as, err := s.store.Agreements(p.r.Context())
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(as, func(a liaison.Agreement) bool { return a.ID == id })
		if i < 0 {
			return nil, liaison.NotFound("agreement", fmt.Sprint(id))
		}
		a := as[i]
		if a.Until, err = formDate(f, "until"); err != nil {
			return nil, err
		}
		if a.Until.IsZero() {
			return nil, liaison.Errorf(liaison.EINVALID, "until: want the date the agreement ends, such as 2026-03-02")
		}
		return &pendingChange{What: fmt.Sprintf("End agreement %d (%s with %s) on %s", a.ID, a.Kind, a.Partner, dateOr(a.Until, "")), Back: "/office/agreements", Change: liaison.DirectoryChange{Kind: liaison.UpdateAgreement, Agreement: &a}}, nil
	default:
		return nil, liaison.Errorf(liaison.EINVALID, "change: want one of org-add, org-edit, community-add, community-members, security-add, programme-add, agreement-end")
	}
}

func zoneWords(z string) string {
	if z == "" {
		return "UTC"
	}
	return z
}

// previewView is the preview page: the change, its effect, and the form
// that confirms it with the same fields.
type previewView struct {
	What     string
	Back     string
	Effect   liaison.DirectoryEffect
	Changed  bool
	Fields   []formField
	Affected int
}

type formField struct{ Name, Value string }

// changeForm previews a directory change (step=preview), or makes it
// (step=confirm) as a job and sends the admin to the job's page.
func (s *Server) changeForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	if !isAdmin(p) {
		return errNotAdmin
	}
	pc, err := s.readChange(p)
	if err != nil {
		return err
	}
	ctx := p.r.Context()
	switch step := p.r.PostForm.Get("step"); step {
	case "preview", "":
		eff, err := s.store.PreviewDirectory(ctx, *p.p, pc.Change)
		if err != nil {
			return err
		}
		v := previewView{What: pc.What, Back: pc.Back, Effect: eff, Changed: eff.Changed()}
		for _, o := range eff.Orgs {
			if o.Gain != 0 || o.Lose != 0 {
				v.Affected++
			}
		}
		for name, vals := range p.r.PostForm {
			if name == "csrf" || name == "step" {
				continue
			}
			for _, val := range vals {
				v.Fields = append(v.Fields, formField{name, val})
			}
		}
		slices.SortFunc(v.Fields, func(a, b formField) int { return strings.Compare(a.Name, b.Name) })
		return p.render(http.StatusOK, "office-preview.html", "Effect of the change", "office", v)
	case "confirm":
		j := s.jobs.start(liaison.NewContext(ctx, *p.p), pc.What, p.p.Name, pc.Back, func(ctx context.Context) error {
			return pc.Change.Make(ctx, s.store)
		})
		http.Redirect(p.w, p.r, "/office/jobs/"+j.ID, http.StatusSeeOther)
		return nil
	default:
		return liaison.Errorf(liaison.EINVALID, "step: want preview or confirm")
	}
}

// recomputeForm recomputes every stored audience as a job.
func (s *Server) recomputeForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	if !isAdmin(p) {
		return errNotAdmin
	}
	j := s.jobs.start(liaison.NewContext(p.r.Context(), *p.p), "Recompute every stored audience", p.p.Name, "/office/organisations", s.store.RecomputeAudiences)
	http.Redirect(p.w, p.r, "/office/jobs/"+j.ID, http.StatusSeeOther)
	return nil
}

// progressForm records progress on a programme's objective.
func (s *Server) progressForm(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	if err := s.mayViewOffice(p); err != nil {
		return err
	}
	f := p.r.PostForm
	id, err := strconv.ParseInt(strings.TrimSpace(f.Get("agreement")), 10, 64)
	if err != nil || id <= 0 {
		return liaison.Errorf(liaison.EINVALID, "agreement: want the id of a programme, such as 3")
	}
	n, err := strconv.Atoi(strings.TrimSpace(f.Get("objective")))
	if err != nil || n < 1 {
		return liaison.Errorf(liaison.EINVALID, "objective: want the number of one of the programme's objectives, from 1")
	}
	pct, err := strconv.Atoi(strings.TrimSpace(f.Get("percent")))
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "percent: want a whole number from 0 to 100")
	}
	rec := liaison.ObjectiveProgress{Agreement: id, Objective: n - 1, Percent: pct, Note: strings.TrimSpace(f.Get("note")), By: p.p.Name}
	if err := s.store.RecordObjectiveProgress(p.r.Context(), &rec); err != nil {
		return err
	}
	http.Redirect(p.w, p.r, fmt.Sprintf("/office/agreements#programme-%d", id), http.StatusSeeOther)
	return nil
}

// jobFor returns the job of the path for an admin; anyone else gets the
// same 403 whether or not the job exists.
func (s *Server) jobFor(p *page) (*job, error) {
	if !isAdmin(p) {
		return nil, errNotAdmin
	}
	j, ok := s.jobs.get(p.r.PathValue("id"))
	if !ok {
		return nil, liaison.NotFound("job", truncate(p.r.PathValue("id"), 40))
	}
	return j, nil
}

// jobPage shows a job's progress. While it runs, the page refreshes
// itself every second (no script needed); the script updates the bar in
// place instead.
func (s *Server) jobPage(p *page) error {
	j, err := s.jobFor(p)
	if err != nil {
		return err
	}
	return p.render(http.StatusOK, "office-job.html", j.What, "office", j.state())
}

// jobStateJSON is the job's progress for the page's script.
func (s *Server) jobStateJSON(p *page) error {
	j, err := s.jobFor(p)
	if err != nil {
		return err
	}
	b, err := json.Marshal(j.state())
	if err != nil {
		return err
	}
	p.w.Header().Set("Content-Type", "application/json")
	p.w.Header().Set("Cache-Control", "no-store")
	_, _ = p.w.Write(b)
	return nil
}
