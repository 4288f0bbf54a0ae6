package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaison"
)

const markRestrictedIP4 = "marking-definition--8eab0c2c-2d3e-4f40-8b5c-6d7e8f9a0b12"

// directoryOffice is the library with an admin of NATO-IS, three
// indicators marked NATO RESTRICTED REL TO NATO, IP4 that Korea cannot
// read until it has a security agreement that covers NATO RESTRICTED, and
// an ITPP for Japan with two objectives.
func directoryOffice(t *testing.T) (*library, []string) {
	t.Helper()
	l := newLibrary(t, 0)
	return l, addDirectoryWorld(t, l)
}

func addDirectoryWorld(t *testing.T, l *library) []string {
	t.Helper()
	ctx := context.Background()
	admin := liaison.Principal{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}}
	if err := l.store.CreateUser(ctx, &admin, "admin-password"); err != nil {
		t.Fatal(err)
	}
	l.users["admin"] = admin
	objs := []string{`{"type":"marking-definition","spec_version":"2.1","id":"` + markRestrictedIP4 + `","created":"2026-01-01T00:00:00.000Z","name":"NATO RESTRICTED REL TO NATO, IP4","extensions":{"extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21":{"extension_type":"property-extension","classification":"NATO RESTRICTED","releasable_to":["NATO","IP4"]}}}`}
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("indicator--7e57%04d-0000-4000-8000-00000000000%d", i, i)
		ids = append(ids, id)
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2024-04-01T00:00:00.000Z","modified":"2024-04-01T00:00:00.000Z","name":"Restricted maritime indicator %d","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2024-04-01T00:00:00Z","object_marking_refs":["%s"]}`, id, i, i+1, markRestrictedIP4))
	}
	l.add(t, "usa", l.cyber.ID, objs)
	itpp := liaison.Agreement{Partner: "JPN", Kind: liaison.Programme, Name: "ITPP 2023-2026", From: time.Date(2023, 7, 12, 0, 0, 0, 0, time.UTC),
		Areas: []string{"cyber defence", "maritime security"}, Objectives: []string{"Interoperable cyber incident reporting", "Joint maritime exercises"}}
	if err := l.store.CreateAgreement(ctx, &itpp); err != nil {
		t.Fatal(err)
	}
	return ids
}

var (
	effectRowRE = regexp.MustCompile(`<tr data-org="([A-Z-]+)"[^>]*><th scope="row"><code>[A-Z-]+</code></th><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num gain">\+?(\d+)</td><td class="num lose">−?(\d+)</td>`)
	hiddenRE    = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// effect reads the preview page's table: gains and losses by org.
func effect(body string) map[string][2]string {
	out := map[string][2]string{}
	for _, m := range effectRowRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = [2]string{m[4], m[5]}
	}
	return out
}

// confirmForm returns the confirm form's fields of a preview page.
func confirmForm(body string) url.Values {
	_, form, _ := strings.Cut(body, `id="confirm"`)
	form, _, _ = strings.Cut(form, "</form>")
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(form, -1) {
		v.Add(m[1], strings.ReplaceAll(m[2], "&#43;", "+"))
	}
	v.Set("step", "confirm")
	return v
}

// waitJob follows a job's page until it has finished, and returns it.
func waitJob(t *testing.T, b *browser, path string) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		status, _, body := b.get(path + "/state")
		if status != http.StatusOK {
			t.Fatalf("job state %s: %d %s", path, status, body)
		}
		var st jobState
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		if st.Done > st.Total || st.Permille > 1000 {
			t.Fatalf("the job overshoots: %+v", st)
		}
		if st.Finished {
			_, _, page := b.get(path)
			return page
		}
	}
	t.Fatalf("job %s did not finish", path)
	return ""
}

// TestOfficeAgreementPreviewConfirm: an admin previews a security
// agreement for KOR up to NATO RESTRICTED (KOR gains the three
// indicators, nobody loses), confirms it, follows the job, and KOR's
// analyst reads them.
func TestOfficeAgreementPreviewConfirm(t *testing.T) {
	l, ids := directoryOffice(t)
	kor := l.signedIn(t, "kor")
	for _, id := range ids {
		if status, _, _ := kor.get("/collections/" + l.cyber.ID + "/objects/" + id); status != http.StatusNotFound {
			t.Fatalf("before the agreement KOR gets %d for %s", status, id)
		}
	}
	b := l.signedIn(t, "admin")
	status, _, page := b.get("/office/agreements")
	if status != http.StatusOK {
		t.Fatalf("agreements page: %d\n%s", status, page)
	}
	csrf := formCSRF(page, "/office/change")
	status, _, body := b.post("/office/change", url.Values{"csrf": {csrf}, "change": {"security-add"}, "partner": {"KOR"}, "level": {"NATO RESTRICTED"}, "name": {"NATO-Korea"}, "step": {"preview"}})
	if status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", status, body)
	}
	eff := effect(body)
	if eff["KOR"] != [2]string{"3", "0"} {
		t.Errorf("the preview gives KOR %v, want +3 −0; table %v", eff["KOR"], eff)
	}
	for org, gl := range eff {
		if org != "KOR" && gl != [2]string{"0", "0"} {
			t.Errorf("the preview changes %s by %v", org, gl)
		}
	}
	if as, _ := l.store.Agreements(context.Background()); len(as) != 2 {
		t.Fatalf("the preview wrote an agreement: %v", as)
	}
	status, h, body := b.post("/office/change", confirmForm(body))
	if status != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/office/jobs/") {
		t.Fatalf("confirm: %d %s\n%s", status, h.Get("Location"), body)
	}
	done := waitJob(t, b, h.Get("Location"))
	if !strings.Contains(done, "Done in") {
		t.Fatalf("the job's page says\n%s", done)
	}
	for _, id := range ids {
		if status, _, _ := kor.get("/collections/" + l.cyber.ID + "/objects/" + id); status != http.StatusOK {
			t.Errorf("after the agreement KOR gets %d for %s", status, id)
		}
	}
	// Ending it takes them away again: the preview says so first.
	_, _, page = b.get("/office/agreements")
	var secID string
	if m := regexp.MustCompile(`<tr data-agreement="(\d+)" data-partner="KOR">`).FindStringSubmatch(page); m != nil {
		secID = m[1]
	}
	status, _, body = b.post("/office/change", url.Values{"csrf": {csrf}, "change": {"agreement-end"}, "agreement": {secID}, "until": {"2026-03-02"}, "step": {"preview"}})
	if status != http.StatusOK || effect(body)["KOR"] != [2]string{"0", "3"} {
		t.Fatalf("the end's preview: %d %v", status, effect(body)["KOR"])
	}
}

// TestOfficeChangesAndProgress makes the other changes through the forms
// and records objective progress.
func TestOfficeChangesAndProgress(t *testing.T) {
	l, _ := directoryOffice(t)
	b := l.signedIn(t, "admin")
	_, _, page := b.get("/office/organisations")
	csrf := formCSRF(page, "/office/change")
	change := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf)
		form.Set("step", "preview")
		status, _, body := b.post("/office/change", form)
		if status != http.StatusOK {
			t.Fatalf("preview %v: %d\n%s", form, status, body)
		}
		status, h, _ := b.post("/office/change", confirmForm(body))
		if status != http.StatusSeeOther {
			t.Fatalf("confirm %v: %d", form, status)
		}
		if done := waitJob(t, b, h.Get("Location")); !strings.Contains(done, "Done in") {
			t.Fatalf("%v: %s", form, done)
		}
		return body
	}
	body := change(url.Values{"change": {"org-add"}, "code": {"ITA"}, "name": {"Italy"}, "kind": {"ally"}, "zone": {"Europe/Rome"}})
	if g := effect(body)["ITA"]; g[0] == "0" {
		t.Errorf("a new ally gains nothing in the preview: %v", g)
	}
	change(url.Values{"change": {"org-edit"}, "code": {"JPN"}, "name": {"Japan (MOFA)"}, "zone": {"Asia/Tokyo"}})
	change(url.Values{"change": {"community-add"}, "name": {"QUAD"}, "members": {"USA, JPN, AUS"}})
	change(url.Values{"change": {"community-members"}, "name": {"QUAD"}, "members": {"USA, JPN, AUS, KOR"}})
	ctx := context.Background()
	if o, _ := l.store.Organisation(ctx, "JPN"); o.Name != "Japan (MOFA)" {
		t.Errorf("JPN is %+v", o)
	}
	if cs, _ := l.store.Communities(ctx); len(cs) != 1 || strings.Join(cs[0].Members, ",") != "USA,JPN,AUS,KOR" {
		t.Errorf("communities %+v", cs)
	}
	as, _ := l.store.Agreements(ctx)
	itpp := as[len(as)-1]
	status, h, _ := b.post("/office/progress", url.Values{"csrf": {csrf}, "agreement": {fmt.Sprint(itpp.ID)}, "objective": {"2"}, "percent": {"40"}, "note": {"first exercise held"}})
	if status != http.StatusSeeOther {
		t.Fatalf("progress: %d", status)
	}
	_, _, page = b.get(h.Get("Location"))
	if !strings.Contains(page, `<progress max="100" value="40" aria-label="Progress on objective 2">`) || !strings.Contains(page, "first exercise held") {
		t.Errorf("the programme does not show the progress:\n%s", page)
	}
	// An officer of an ally records progress too, and sees no change form.
	fra := l.signedIn(t, "fra")
	status, _, page = fra.get("/office/agreements")
	if status != http.StatusOK || strings.Contains(page, `action="/office/change"`) {
		t.Fatalf("an ally's officer: %d, change forms offered: %v", status, strings.Contains(page, `action="/office/change"`))
	}
	status, _, _ = fra.post("/office/progress", url.Values{"csrf": {formCSRF(page, "/office/progress")}, "agreement": {fmt.Sprint(itpp.ID)}, "objective": {"1"}, "percent": {"10"}})
	if status != http.StatusSeeOther {
		t.Errorf("an ally's officer records progress: %d", status)
	}
}

// TestOfficeRefusals: who may not, and bad fields named in words.
func TestOfficeRefusals(t *testing.T) {
	l, _ := directoryOffice(t)
	admin := l.signedIn(t, "admin")
	_, _, page := admin.get("/office/organisations")
	csrf := formCSRF(page, "/office/change")
	for _, tc := range []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"no csrf", url.Values{"change": {"org-add"}}, http.StatusForbidden, "csrf"},
		{"unknown change", url.Values{"csrf": {csrf}, "change": {"org-drop"}}, http.StatusBadRequest, "change:"},
		{"no code", url.Values{"csrf": {csrf}, "change": {"org-add"}, "name": {"Italy"}, "kind": {"ally"}}, http.StatusBadRequest, "code:"},
		{"no name", url.Values{"csrf": {csrf}, "change": {"org-add"}, "code": {"ITA"}, "kind": {"ally"}}, http.StatusBadRequest, "name:"},
		{"bad kind", url.Values{"csrf": {csrf}, "change": {"org-add"}, "code": {"ITA"}, "name": {"Italy"}, "kind": {"friend"}}, http.StatusBadRequest, "kind:"},
		{"bad zone", url.Values{"csrf": {csrf}, "change": {"org-add"}, "code": {"ITA"}, "name": {"Italy"}, "kind": {"ally"}, "zone": {"Mars/Base"}}, http.StatusBadRequest, "time zone"},
		{"taken code", url.Values{"csrf": {csrf}, "change": {"org-add"}, "code": {"FRA"}, "name": {"France"}, "kind": {"ally"}}, http.StatusConflict, "FRA exists already"},
		{"no members", url.Values{"csrf": {csrf}, "change": {"community-add"}, "name": {"QUAD"}}, http.StatusBadRequest, "members:"},
		{"unknown member", url.Values{"csrf": {csrf}, "change": {"community-add"}, "name": {"QUAD"}, "members": {"USA, XYZ"}}, http.StatusBadRequest, "XYZ"},
		{"bad level", url.Values{"csrf": {csrf}, "change": {"security-add"}, "partner": {"KOR"}, "level": {"SECRETISH"}}, http.StatusBadRequest, "level:"},
		{"bad date", url.Values{"csrf": {csrf}, "change": {"security-add"}, "partner": {"KOR"}, "level": {"NATO SECRET"}, "from": {"2 March"}}, http.StatusBadRequest, "from: want a date such as 2026-03-02"},
		{"ally as partner", url.Values{"csrf": {csrf}, "change": {"security-add"}, "partner": {"FRA"}, "level": {"NATO SECRET"}}, http.StatusBadRequest, "not a partner"},
		{"end without date", url.Values{"csrf": {csrf}, "change": {"agreement-end"}, "agreement": {"1"}}, http.StatusBadRequest, "until:"},
		{"end of nothing", url.Values{"csrf": {csrf}, "change": {"agreement-end"}, "agreement": {"99"}, "until": {"2026-03-02"}}, http.StatusNotFound, "agreement"},
		{"programme without name", url.Values{"csrf": {csrf}, "change": {"programme-add"}, "partner": {"KOR"}}, http.StatusBadRequest, "name:"},
		{"bad step", url.Values{"csrf": {csrf}, "change": {"org-edit"}, "code": {"FRA"}, "name": {"France"}, "step": {"go"}}, http.StatusBadRequest, "step:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.form.Get("step") == "" {
				tc.form.Set("step", "preview")
			}
			status, _, body := admin.post("/office/change", tc.form)
			if status != tc.want || !strings.Contains(body, tc.says) {
				t.Errorf("%d, want %d saying %q:\n%s", status, tc.want, tc.says, mainOf(body))
			}
		})
	}
	for _, tc := range []struct {
		name string
		form url.Values
		says string
	}{
		{"percent", url.Values{"agreement": {"2"}, "objective": {"1"}, "percent": {"lots"}}, "percent:"},
		{"over 100", url.Values{"agreement": {"2"}, "objective": {"1"}, "percent": {"120"}}, "percent:"},
		{"objective", url.Values{"agreement": {"2"}, "objective": {"0"}, "percent": {"1"}}, "objective:"},
		{"no such objective", url.Values{"agreement": {"2"}, "objective": {"9"}, "percent": {"1"}}, "objective:"},
		{"a security agreement", url.Values{"agreement": {"1"}, "objective": {"1"}, "percent": {"1"}}, "not a programme"},
	} {
		t.Run("progress "+tc.name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			status, _, body := admin.post("/office/progress", tc.form)
			if status != http.StatusBadRequest || !strings.Contains(body, tc.says) {
				t.Errorf("%d saying\n%s", status, mainOf(body))
			}
		})
	}
	// Who may see the pages, and who may change.
	for _, tc := range []struct {
		user string
		page int
	}{{"admin", 200}, {"fra", 200}, {"nis", 200}, {"jpn", 403}, {"kor", 403}, {"usa-reader", 403}} {
		b := l.signedIn(t, tc.user)
		for _, path := range []string{"/office/organisations", "/office/communities", "/office/agreements"} {
			if status, _, _ := b.get(path); status != tc.page {
				t.Errorf("%s gets %d for %s, want %d", tc.user, status, path, tc.page)
			}
		}
		if tc.user == "admin" {
			continue
		}
		_, _, home := b.get("/")
		tok := formCSRF(home, "/signout")
		if status, _, _ := b.post("/office/change", url.Values{"csrf": {tok}, "change": {"security-add"}, "partner": {"KOR"}, "level": {"NATO SECRET"}, "step": {"preview"}}); status != http.StatusForbidden {
			t.Errorf("%s previews a change: %d", tc.user, status)
		}
		if status, _, _ := b.post("/office/recompute", url.Values{"csrf": {tok}}); status != http.StatusForbidden {
			t.Errorf("%s recomputes: %d", tc.user, status)
		}
	}
}

// mainOf is the page's main element, for messages.
func mainOf(body string) string {
	_, m, _ := strings.Cut(body, `<main id="main" tabindex="-1">`)
	m, _, _ = strings.Cut(m, "</main>")
	return strings.TrimSpace(m)
}

// TestOfficeRecomputeJob recomputes from the page and follows the bar.
func TestOfficeRecomputeJob(t *testing.T) {
	l, _ := directoryOffice(t)
	b := l.signedIn(t, "admin")
	_, _, page := b.get("/office/organisations")
	status, h, _ := b.post("/office/recompute", url.Values{"csrf": {formCSRF(page, "/office/recompute")}})
	if status != http.StatusSeeOther {
		t.Fatalf("recompute: %d", status)
	}
	done := waitJob(t, b, h.Get("Location"))
	if !strings.Contains(done, `value="1000"`) || strings.Contains(done, "http-equiv") {
		t.Errorf("the finished job's page:\n%s", mainOf(done))
	}
	if status, _, _ := b.get("/office/jobs/nosuchjob"); status != http.StatusNotFound {
		t.Errorf("a missing job: %d", status)
	}
}

// TestJobReportNeverOvershoots feeds a job the reports recompute makes,
// with a total that grows and a done that runs past it.
func TestJobReportNeverOvershoots(t *testing.T) {
	j := &job{}
	last := int64(0)
	for _, r := range [][2]int64{{0, 100}, {50, 100}, {100, 100}, {100, 140}, {16270, 14061}, {120, 160}, {160, 160}} {
		j.report(r[0], r[1])
		st := j.state()
		if st.Done > st.Total || st.Permille > 1000 || st.Permille < last {
			t.Fatalf("after %v: %+v (bar was %d)", r, st, last)
		}
		last = st.Permille
	}
}
