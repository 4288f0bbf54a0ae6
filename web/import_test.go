package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison"
)

// uploadField is one field of the import form, in the order sent.
type uploadField struct{ name, value string }

// upload posts the import form as a browser would: the fields in order,
// then the bundle as a file, unless file is nil.
func (b *browser) upload(fields []uploadField, file []byte) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if f.name == fieldBundle {
			fw, _ := mw.CreateFormFile(fieldBundle, f.value)
			fw.Write(file)
			continue
		}
		mw.WriteField(f.name, f.value)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.base)
	status, _, body := b.do(req)
	return status, body
}

func indicatorJSON(id, modified string, refs ...string) string {
	marks := ""
	if len(refs) > 0 {
		marks = `,"object_marking_refs":["` + strings.Join(refs, `","`) + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","pattern":"[domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"%s"%s}`, id, modified, modified, modified, marks)
}

var (
	previewOrgRE  = regexp.MustCompile(`<code class="org">([^<]+)</code>`)
	importCountRE = regexp.MustCompile(`data-count="([a-z]+)">([0-9]+)<`)
)

// previewed returns the organisations the page's preview lists.
func previewed(body string) []string {
	i := strings.Index(body, `id="preview"`)
	if i < 0 {
		return nil
	}
	var out []string
	for _, m := range previewOrgRE.FindAllStringSubmatch(body[i:], -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func resultCounts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range importCountRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestImportPreview(t *testing.T) {
	o := newOffice(t)
	coll := liaison.Collection{Title: "Cyber", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}}
	if err := o.store.CreateCollection(context.Background(), &coll); err != nil {
		t.Fatal(err)
	}
	b := o.browser(t)
	if st, _, _ := b.signIn("kor", o.tokens["kor"]); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d", st)
	}
	_, _, form := b.get("/import")
	csrf := formCSRF(form, "/import")
	if csrf == "" || !strings.Contains(form, `name="rel" value="JPN"`) || !strings.Contains(form, coll.ID) {
		t.Fatalf("the import form lacks its token, a releasable-to choice or the collection:\n%s", form)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   []string // the audience previewed
		says   string
	}{
		{"nothing chosen: the collection's readers", url.Values{}, 200, []string{"AUS", "DEU", "FRA", "JPN", "KOR", "NATO-IS", "NZL", "USA"}, "With nothing chosen"},
		{"a classification alone is for NATO, and the originator", url.Values{"classification": {"nato-restricted"}}, 200, []string{"DEU", "FRA", "KOR", "NATO-IS", "USA"}, "rule 6"},
		{"TLP:RED is for the originator alone", url.Values{"tlp": {"red"}}, 200, []string{"KOR"}, "rule 5"},
		{"RED with a list: the list", url.Values{"tlp": {"red"}, "rel": {"JPN"}}, 200, []string{"JPN", "KOR"}, "releasable to JPN"},
		{"a community expands", url.Values{"rel": {"IP4"}}, 200, []string{"AUS", "JPN", "KOR", "NZL"}, "rule 4"},
		{"an unknown name", url.Values{"rel": {"XXX"}}, 400, nil, "field releasable to: &#34;XXX&#34; is neither"},
		{"an unknown level", url.Values{"tlp": {"purple"}}, 400, nil, "field TLP"},
		{"an unknown classification", url.Values{"classification": {"top"}}, 400, nil, "field classification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{"csrf": {csrf}, "collection": {coll.ID}}
			for k, v := range tc.form {
				f[k] = v
			}
			st, _, body := b.post("/import/preview", f)
			if st != tc.status || !strings.Contains(body, tc.says) {
				t.Fatalf("status %d, want %d and %q:\n%s", st, tc.status, tc.says, body)
			}
			if got := previewed(body); tc.status == 200 && !slices.Equal(got, tc.want) {
				t.Errorf("previews %v, want %v", got, tc.want)
			}
		})
	}
	// Without the token the preview is refused, like any form.
	if st, _, _ := b.post("/import/preview", url.Values{"collection": {coll.ID}}); st != http.StatusForbidden {
		t.Errorf("preview without a token: %d", st)
	}
}

func TestImportUpload(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	coll := liaison.Collection{Title: "Cyber", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO", "IP4"}}
	usaOnly := liaison.Collection{Title: "USA only", Topic: "cyber", Read: []string{"USA"}, Write: []string{"USA"}}
	for _, c := range []*liaison.Collection{&coll, &usaOnly} {
		if err := o.store.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	const (
		unmarked = "indicator--11111111-1111-4111-8111-111111111111"
		clear    = "indicator--22222222-2222-4222-8222-222222222222"
		hidden   = "indicator--33333333-3333-4333-8333-333333333333"
		ts       = "2024-05-01T00:00:00.000Z"
	)
	// USA holds a TLP:RED version that KOR may not read: KOR writing the
	// same id and version is answered as new, never "present".
	seed := []byte(`{"type":"bundle","id":"bundle--44444444-4444-4444-8444-444444444444","objects":[` + indicatorJSON(hidden, ts, liaison.TLPRedID) + `]}`)
	u := o.browser(t)
	u.signIn("usa", o.tokens["usa"])
	_, _, form := u.get("/import")
	if st, body := u.upload([]uploadField{{"csrf", formCSRF(form, "/import")}, {"collection", coll.ID}, {"bundle", "seed.json"}}, seed); st != 200 || resultCounts(body)["added"] != "1" {
		t.Fatalf("USA's seed: %d\n%s", st, body)
	}

	b := o.browser(t)
	b.signIn("kor", o.tokens["kor"])
	_, _, form = b.get("/import")
	csrf := formCSRF(form, "/import")
	bundle := []byte(`{"type":"bundle","id":"bundle--55555555-5555-4555-8555-555555555555","objects":[` +
		indicatorJSON(unmarked, ts) + `,` + indicatorJSON(clear, ts, liaison.TLPClearID) + `,` +
		indicatorJSON(hidden, ts, liaison.TLPGreenID) + `,` +
		`{"type":"indicator","id":"indicator--66666666-6666-4666-8666-666666666666","spec_version":"2.1"}]}`)
	fields := []uploadField{{"csrf", csrf}, {"collection", coll.ID}, {"tlp", "amber"}, {"rel", "JPN"}, {"rel", "NATO"}, {"bundle", "kor.json"}}
	st, body := b.upload(fields, bundle)
	if st != 200 {
		t.Fatalf("upload: %d\n%s", st, body)
	}
	if got := resultCounts(body); got["added"] != "3" || got["present"] != "0" || got["conflicting"] != "0" || got["rejected"] != "1" {
		t.Errorf("counts %v, want 3 added and 1 rejected:\n%s", got, body)
	}
	if !strings.Contains(body, `data-rejected="3"`) || !strings.Contains(body, "indicator--66666666-6666-4666-8666-666666666666") || !strings.Contains(body, "REL TO JPN, NATO TLP:AMBER") {
		t.Errorf("the result lacks the rejection or the marking taken:\n%s", body)
	}
	// The unmarked object took the picked markings, recorded with the
	// version; its bytes are as sent. The marked ones kept their own.
	vs, err := o.store.Objects(ctx, o.users["kor"], coll.ID, liaison.ObjectQuery{IDs: []string{unmarked, clear}})
	if err != nil || len(vs.Versions) != 2 {
		t.Fatalf("read back: %v %+v", err, vs)
	}
	for _, v := range vs.Versions {
		switch v.ID {
		case unmarked:
			ids := liaison.DefaultMarkingIDs(v.DefaultMarking)
			if len(ids) != 2 || !slices.Contains(ids, liaison.TLPAmberID) || string(v.Raw) != indicatorJSON(unmarked, ts) {
				t.Errorf("unmarked: default %q raw %s", v.DefaultMarking, v.Raw)
			}
		case clear:
			if v.DefaultMarking != "" {
				t.Errorf("a marked object took the default %q", v.DefaultMarking)
			}
		}
	}
	// REL TO JPN, NATO: JPN and USA read it, NZL does not.
	for user, want := range map[string]int{"jpn": 1, "usa": 1, "nzl": 0} {
		pg, err := o.store.Objects(ctx, o.users[user], coll.ID, liaison.ObjectQuery{IDs: []string{unmarked}})
		if err != nil || len(pg.Versions) != want {
			t.Errorf("%s reads %d versions of the unmarked object, want %d (%v)", user, len(pg.Versions), want, err)
		}
	}

	// The same bundle again: present, with one conflict-free answer each;
	// the hidden version is KOR's own now.
	st, body = b.upload(fields, bundle)
	if got := resultCounts(body); st != 200 || got["present"] != "3" || got["added"] != "0" {
		t.Errorf("again: %d %v", st, got)
	}
	// Other bytes under a version KOR reads: conflicting, and the first stay.
	changed := []byte(`{"type":"bundle","id":"bundle--77777777-7777-4777-8777-777777777777","objects":[` + strings.Replace(indicatorJSON(clear, ts, liaison.TLPClearID), "x.example", "y.example", 1) + `]}`)
	st, body = b.upload(fields, changed)
	if got := resultCounts(body); st != 200 || got["conflicting"] != "1" || !strings.Contains(body, "stored already") {
		t.Errorf("conflict: %d %v\n%s", st, got, body)
	}

	for _, tc := range []struct {
		name   string
		fields []uploadField
		file   []byte
		status int
		says   string
	}{
		{"no token", []uploadField{{"collection", coll.ID}, {"bundle", "x.json"}}, bundle, 403, "field csrf"},
		{"the token after the file", []uploadField{{"collection", coll.ID}, {"bundle", "x.json"}, {"csrf", csrf}}, bundle, 403, "comes after the file"},
		{"no file", []uploadField{{"csrf", csrf}, {"collection", coll.ID}}, nil, 400, "field bundle is missing"},
		{"no collection", []uploadField{{"csrf", csrf}, {"bundle", "x.json"}}, bundle, 400, "field collection is empty"},
		{"a collection KOR may not see", []uploadField{{"csrf", csrf}, {"collection", usaOnly.ID}, {"bundle", "x.json"}}, bundle, 404, "Not found"},
		{"a bad choice", []uploadField{{"csrf", csrf}, {"collection", coll.ID}, {"rel", "XXX"}, {"bundle", "x.json"}}, bundle, 400, "field releasable to"},
		{"not a bundle", []uploadField{{"csrf", csrf}, {"collection", coll.ID}, {"bundle", "x.json"}}, []byte(`{"type":"bundle","objects":[{"type":`), 400, "could not be read to the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := b.upload(tc.fields, tc.file)
			if st != tc.status || !strings.Contains(html.UnescapeString(body), tc.says) {
				t.Errorf("status %d, want %d with %q:\n%s", st, tc.status, tc.says, body)
			}
		})
	}

	// Past the limit: refused before anything is written.
	o.web.cfg.MaxUpload = 512
	big := []byte(`{"type":"bundle","objects":[` + indicatorJSON("indicator--88888888-8888-4888-8888-888888888888", ts) + `,` + indicatorJSON("indicator--99999999-9999-4999-8999-999999999999", ts) + `]}`)
	st, body = b.upload([]uploadField{{"csrf", csrf}, {"collection", coll.ID}, {"bundle", "big.json"}}, big)
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, "more than this server takes (512 bytes)") {
		t.Errorf("too large: %d\n%s", st, body)
	}
	if pg, _ := o.store.Objects(ctx, o.users["kor"], coll.ID, liaison.ObjectQuery{IDs: []string{"indicator--88888888-8888-4888-8888-888888888888"}}); len(pg.Versions) != 0 {
		t.Errorf("a refused upload wrote %d versions", len(pg.Versions))
	}

	// A reader may not import: no form, and no nav link.
	r := o.browser(t)
	r.signIn("usa-reader", o.tokens["usa-reader"])
	_, _, page := r.get("/import")
	if strings.Contains(page, `action="/import"`) || strings.Contains(page, `href="/import"`) {
		t.Errorf("a reader is offered the import form:\n%s", page)
	}
}
