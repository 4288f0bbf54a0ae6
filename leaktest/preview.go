package leaktest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"liaison"
)

// DirectoryPaths are the read paths of running the directory: the effect
// preview in the store (PreviewDirectory) and its pages (the preview
// form, the jobs). The preview counts what every organisation reads, so
// it is for admins only: anyone else gets the same refusal whatever the
// change names (an agreement or community that exists, or one that does
// not), and an admin's counts are checked against the reference.
func DirectoryPaths() []ReadPath {
	return []ReadPath{storePreview{}, webEffect{}}
}

type storePreview struct{}

func (storePreview) Name() string { return "store/preview" }
func (storePreview) everyReader() {}

// probes are changes that name something that exists and something
// that does not: a non-admin must not tell them apart.
func previewProbes(e *Env) (hidden, missing []liaison.DirectoryChange) {
	as, err := e.Store.Agreements(e.Ctx())
	if err == nil && len(as) > 0 {
		a := as[e.Intn(len(as))]
		m := a
		m.ID = 1 << 40
		hidden = append(hidden, liaison.DirectoryChange{Kind: liaison.UpdateAgreement, Agreement: &a})
		missing = append(missing, liaison.DirectoryChange{Kind: liaison.UpdateAgreement, Agreement: &m})
	}
	cs, err := e.Store.Communities(e.Ctx())
	if err == nil && len(cs) > 0 {
		c := cs[e.Intn(len(cs))]
		m := liaison.Community{Name: "NO-SUCH-COMMUNITY", Members: c.Members}
		hidden = append(hidden, liaison.DirectoryChange{Kind: liaison.SetCommunityMembers, Community: &c})
		missing = append(missing, liaison.DirectoryChange{Kind: liaison.SetCommunityMembers, Community: &m})
	}
	return hidden, missing
}

func (storePreview) Check(e *Env, r *User) {
	ctx := e.Ctx()
	if !r.HasRole(liaison.RoleAdmin) {
		hidden, missing := previewProbes(e)
		for i := range hidden {
			e.stats.Probes.Add(1)
			_, herr := e.Store.PreviewDirectory(ctx, r.Principal, hidden[i])
			eff, merr := e.Store.PreviewDirectory(ctx, r.Principal, missing[i])
			if liaison.ErrorCode(herr) != liaison.EFORBIDDEN || liaison.ErrorCode(merr) != liaison.EFORBIDDEN {
				e.Errorf(r, "LEAK store/preview: a non-admin is answered %v (for a %s that exists) and %v (%d organisations counted)", herr, hidden[i].Kind, merr, len(eff.Orgs))
				continue
			}
			if herr.Error() != merr.Error() {
				e.Errorf(r, "LEAK store/preview: hidden and missing differ: %q and %q", herr, merr)
			}
		}
	}
	// The same principal as an admin of its organisation: renaming the
	// organisation changes nobody's reading, and what it says each
	// organisation reads now is what the reference lets it read.
	admin := r.Principal
	admin.Roles = []liaison.Role{liaison.RoleAdmin}
	org, err := e.Store.Organisation(ctx, r.Org)
	if err != nil {
		// Off the hub: refused whatever the role.
		if _, perr := e.Store.PreviewDirectory(ctx, admin, liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &liaison.Organisation{Code: "USA", Name: "x", Kind: liaison.Ally}}); liaison.ErrorCode(perr) != liaison.EFORBIDDEN {
			e.Errorf(r, "LEAK store/preview: an admin of no organisation on the hub gets %v", perr)
		}
		return
	}
	org.Name += " (renamed)"
	eff, err := e.Store.PreviewDirectory(ctx, admin, liaison.DirectoryChange{Kind: liaison.UpdateOrganisation, Organisation: &org})
	if err != nil {
		e.Errorf(r, "store/preview as an admin: %v", err)
		return
	}
	var want int64
	for _, c := range e.World.Collections {
		if e.MayReadCollection(r.Principal, c) {
			want += int64(len(e.Expected(r.Principal, c, All)))
		}
	}
	e.stats.Versions.Add(want)
	for _, o := range eff.Orgs {
		if o.Gain != 0 || o.Lose != 0 || o.Before != o.After {
			e.Errorf(r, "store/preview: a rename changes %s's reading: %+v", o.Org, o)
		}
		if o.Org != r.Org {
			continue
		}
		switch {
		case o.Before > want:
			e.Errorf(r, "LEAK store/preview: counts %d versions that %s reads, the reference %d", o.Before, r.Org, want)
		case o.Before < want:
			e.Errorf(r, "store/preview: counts %d versions that %s reads, the reference %d", o.Before, r.Org, want)
		}
		return
	}
	e.Errorf(r, "store/preview: no count for %s", r.Org)
}

type webEffect struct{}

func (webEffect) Name() string { return "web/effect-preview" }

var signoutCSRF = regexp.MustCompile(`<form method="post" action="/signout" class="signout"><input type="hidden" name="csrf" value="([^"]+)">`)

func (b *webBrowser) post(e *Env, path string, form url.Values) (int, string, error) {
	req, err := http.NewRequestWithContext(e.Ctx(), http.MethodPost, b.ws.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.ws.srv.URL)
	e.stats.Reads.Add(1)
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// Check asks, as a reader who is no admin, for the preview of changes
// naming what exists and what does not, and for a job: each must be
// refused with the same page.
func (webEffect) Check(e *Env, r *User) {
	if r.HasRole(liaison.RoleAdmin) {
		return
	}
	b := browserFor(e, r)
	csrf := ""
	if r.Token != "" {
		_, _, home, err := b.get(e, "/")
		if m := signoutCSRF.FindStringSubmatch(home); err == nil && m != nil {
			csrf = m[1]
		}
	}
	as, _ := e.Store.Agreements(e.Ctx())
	cs, _ := e.Store.Communities(e.Ctx())
	var pairs [][2]url.Values
	if len(as) > 0 {
		a := as[e.Intn(len(as))]
		form := func(id int64) url.Values {
			return url.Values{"csrf": {csrf}, "change": {"agreement-end"}, "agreement": {strconv.FormatInt(id, 10)}, "until": {"2030-01-01"}, "step": {"preview"}}
		}
		pairs = append(pairs, [2]url.Values{form(a.ID), form(1 << 40)})
	}
	if len(cs) > 0 {
		form := func(name string) url.Values {
			return url.Values{"csrf": {csrf}, "change": {"community-members"}, "name": {name}, "members": {"USA"}, "step": {"preview"}}
		}
		pairs = append(pairs, [2]url.Values{form(cs[e.Intn(len(cs))].Name), form("NO-SUCH-COMMUNITY")})
	}
	for _, p := range pairs {
		e.stats.Probes.Add(1)
		hs, hb, herr := b.post(e, "/office/change", p[0])
		ms, mb, merr := b.post(e, "/office/change", p[1])
		if herr != nil || merr != nil {
			e.Errorf(r, "web/effect-preview: %v / %v", herr, merr)
			continue
		}
		if hs == http.StatusOK || ms == http.StatusOK || strings.Contains(hb, `class="effect"`) {
			e.Errorf(r, "LEAK web/effect-preview: a non-admin is shown the effect preview (%d, %d)", hs, ms)
			continue
		}
		if hs != ms || hb != mb {
			e.Errorf(r, "LEAK web/effect-preview: hidden and missing differ: %d (%d bytes) and %d (%d bytes)", hs, len(hb), ms, len(mb))
		}
	}
	// A job's page: the same refusal for a made-up id as for any.
	e.stats.Probes.Add(1)
	s1, _, b1, err1 := b.get(e, "/office/jobs/"+e.Missing("job--x")[5:])
	s2, _, b2, err2 := b.get(e, "/office/jobs/"+e.Missing("job--x")[5:]+"/state")
	if r.Token == "" {
		b1, b2 = "", "" // sent to sign in, each with its own way back
	}
	if err1 != nil || err2 != nil || s1 == http.StatusOK || s2 == http.StatusOK || s1 != s2 || b1 != b2 {
		e.Errorf(r, "web/effect-preview: a job's page for a non-admin: %d, %d (%v %v)", s1, s2, err1, err2)
	}
}
