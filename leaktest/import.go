package leaktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"liaison"
)

// WebImportPaths are the import page's read paths: the preview of who
// will read what an import writes unmarked (a read of the directory,
// checked against the reference's rules for every choice it makes), and
// the result page of an upload (what it says of each object must be what
// the reference lets the writer know: present and conflicting only for
// versions the writer may read, new for every other). The result page's
// checks write over hidden versions only in the last phase, so that no
// later check sees the world changed; run these paths last, or alone.
func WebImportPaths() []ReadPath {
	return []ReadPath{webPreview{}, webImport{}}
}

var (
	importCSRFRE  = regexp.MustCompile(`<form method="post" action="/import" [^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"`)
	previewOrgRE  = regexp.MustCompile(`<code class="org">([^<]+)</code>`)
	resultCountRE = regexp.MustCompile(`data-count="([a-z]+)">([0-9]+)<`)
	rejectedRE    = regexp.MustCompile(`data-rejected="([0-9]+)"`)
	conflictRE    = regexp.MustCompile(`data-conflict="([0-9]+)"`)
	formCollRE    = regexp.MustCompile(`<option value="([0-9a-f-]{36})"`)
)

// importForm opens the import page and returns its CSRF token ("" when
// the page offers no form) and the collections it offers.
func (b *webBrowser) importForm(e *Env, r *User) (string, map[string]bool, bool) {
	status, _, body, err := b.get(e, "/import")
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "web import form: status %d err %v: %s", status, err, truncateBody([]byte(body)))
		return "", nil, false
	}
	offered := map[string]bool{}
	for _, m := range formCollRE.FindAllStringSubmatch(body, -1) {
		offered[m[1]] = true
	}
	csrf := ""
	if m := importCSRFRE.FindStringSubmatch(body); m != nil {
		csrf = m[1]
	}
	return csrf, offered, true
}

// writableColls returns the collections r may write, by the reference,
// and checks that the form offers exactly those.
func writableColls(e *Env, r *User, offered map[string]bool) []*Coll {
	var out []*Coll
	for _, c := range e.World.Collections {
		may := e.MayWriteCollection(r.Principal, c)
		if may {
			out = append(out, c)
		}
		switch {
		case offered[c.ID] && !may:
			e.Errorf(r, "LEAK web import form: offers collection %s, which the reader may not write", c.Key)
		case !offered[c.ID] && may:
			e.Errorf(r, "web import form: does not offer collection %s, which the reader may write", c.Key)
		}
	}
	return out
}

// webPreview asks the preview for a few choices of marking in each
// collection the reader may write, and compares who it says will read
// with the reference: the rules applied to the choice (or, with no
// choice, to the collection's default marking) with the reader's
// organisation as originator, bounded by the collection's read list.
type webPreview struct{}

func (webPreview) Name() string { return "web/import-preview" }

var (
	previewTLPs    = []string{"", "clear", "green", "amber", "amber-strict", "red"}
	previewClasses = []string{"", "nato-unclassified", "nato-restricted", "nato-confidential", "nato-secret", "cosmic-top-secret"}
)

func (webPreview) Check(e *Env, r *User) {
	if r.Token == "" {
		return
	}
	b := browserFor(e, r)
	csrf, offered, ok := b.importForm(e, r)
	if !ok {
		return
	}
	colls := writableColls(e, r, offered)
	if len(colls) == 0 {
		if csrf != "" {
			e.Errorf(r, "web import form: offered to a reader who may write nowhere")
		}
		return
	}
	names := []string{liaison.CommunityNATO, liaison.CommunityIP4, liaison.CommunityAll}
	for _, c := range e.World.Communities {
		names = append(names, c.Name)
	}
	for org := range e.ref.kind {
		names = append(names, org)
	}
	sort.Strings(names)
	for _, c := range pickColls(e, colls, 2) {
		specs := []liaison.MarkingSpec{{}, {Classification: "NATO CONFIDENTIAL"}}
		for range 3 {
			var m liaison.MarkingSpec
			if t := previewTLPs[e.Intn(len(previewTLPs))]; t != "" {
				m.TLP = t
			}
			if cl := previewClasses[e.Intn(len(previewClasses))]; cl != "" {
				m.Classification = strings.ReplaceAll(cl, "-", " ")
			}
			for range e.Intn(4) {
				m.ReleasableTo = append(m.ReleasableTo, names[e.Intn(len(names))])
			}
			specs = append(specs, m)
		}
		for _, m := range specs {
			checkPreview(e, r, b, csrf, c, m)
		}
	}
}

func checkPreview(e *Env, r *User, b *webBrowser, csrf string, c *Coll, m liaison.MarkingSpec) {
	e.stats.Probes.Add(1)
	form := []string{"csrf", csrf, "collection", c.ID, "tlp", strings.ToLower(m.TLP), "classification", strings.ReplaceAll(strings.ToLower(m.Classification), " ", "-")}
	for _, n := range m.ReleasableTo {
		form = append(form, "rel", n)
	}
	status, body, err := b.postForm(e, "/import/preview", form)
	what := fmt.Sprintf("web import preview of %s in %s", SpecText(m), c.Key)
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "%s: status %d err %v: %s", what, status, err, truncateBody([]byte(body)))
		return
	}
	i := strings.Index(body, `id="preview"`)
	got := map[string]bool{}
	if i >= 0 {
		for _, mm := range previewOrgRE.FindAllStringSubmatch(body[i:], -1) {
			got[html.UnescapeString(mm[1])] = true
		}
	}
	want := map[string]bool{}
	for org := range e.ref.kind {
		reads := false
		if m.TLP == "" && m.Classification == "" && m.ReleasableTo == nil {
			var defaults []string
			if c.DefaultMarking != "" {
				defaults = []string{c.DefaultMarking}
			}
			reads = e.ref.markingsRelease(org, r.Org, defaults)
		} else {
			reads = e.ref.specReleases(org, r.Org, m)
		}
		if reads && e.ref.mayReadCollection(org, c) {
			want[org] = true
		}
	}
	for org := range got {
		if !want[org] {
			e.Errorf(r, "LEAK %s: says %s will read it; the reference does not", what, org)
		}
	}
	for org := range want {
		if !got[org] {
			e.Errorf(r, "%s: leaves out %s, which the reference lets read it", what, org)
		}
	}
	if n := strconv.Itoa(len(want)) + " organisations will read"; !strings.Contains(body, n) {
		e.Errorf(r, "%s: the count is not %q", what, n)
	}
}

// pickColls returns up to n of cs at random.
func pickColls(e *Env, cs []*Coll, n int) []*Coll {
	cs = slices.Clone(cs)
	for i := range cs {
		j := i + e.Intn(len(cs)-i)
		cs[i], cs[j] = cs[j], cs[i]
	}
	return cs[:min(n, len(cs))]
}

// postForm posts a form, as the page's own form would.
func (b *webBrowser) postForm(e *Env, path string, kv []string) (int, string, error) {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	req, err := http.NewRequestWithContext(e.Ctx(), http.MethodPost, b.ws.srv.URL+path, strings.NewReader(sb.String()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.ws.srv.URL)
	return b.send(e, req)
}

func (b *webBrowser) send(e *Env, req *http.Request) (int, string, error) {
	e.stats.Reads.Add(1)
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// webImport uploads, as the reader, a bundle of versions the collection
// holds: some the reader may read, with their own bytes (present) and
// with other bytes (conflicting), one object that is not valid
// (rejected), and in the last phase versions hidden from the reader with
// its own content beside a fresh id (new, both). The result page must
// count and name exactly that, and name nothing else. One writer per
// organisation uploads, so that no two checks see each other's writes;
// what is written is TLP:RED, for the writer's organisation alone.
type webImport struct{}

func (webImport) Name() string { return "web/import-result" }

func (webImport) Check(e *Env, r *User) {
	if r.Token == "" || !hasAnalyst(r.Roles) {
		return
	}
	for _, u := range e.World.Users {
		if u.Org == r.Org && u.Token != "" && hasAnalyst(u.Roles) {
			if u != r {
				return // another writer of this organisation uploads
			}
			break
		}
	}
	b := browserFor(e, r)
	csrf, offered, ok := b.importForm(e, r)
	if !ok {
		return
	}
	colls := writableColls(e, r, offered)
	if len(colls) > 0 && csrf == "" {
		e.Errorf(r, "web import form: no form for a reader who may write %d collections", len(colls))
		return
	}
	n := 2
	if e.Final {
		n = len(colls) // the writes over hidden versions: every collection
	}
	for _, c := range pickColls(e, colls, n) {
		checkImport(e, r, b, csrf, c)
	}
}

// importItem is one object of the uploaded bundle and what the result
// page must say of it.
type importItem struct {
	id   string
	raw  []byte
	want string // added, present, conflicting, rejected
}

func checkImport(e *Env, r *User, b *webBrowser, csrf string, c *Coll) {
	instances := map[versionKey]int{}
	for _, o := range e.World.Objs {
		if o.Coll == c && e.World.stored(o) {
			instances[o.key()]++
		}
	}
	var readable, hidden []*Obj
	for _, o := range e.World.Objs {
		if o.Coll != c || !e.World.stored(o) || o.IsLink() || o.Type == "marking-definition" || instances[o.key()] != 1 {
			continue
		}
		switch {
		case e.ref.reads(r.Org, o):
			readable = append(readable, o)
		case o.Originator() != r.Org:
			hidden = append(hidden, o)
		}
	}
	var items []importItem
	take := func(from []*Obj, n int) []*Obj {
		var out []*Obj
		for len(out) < n && len(from) > 0 {
			i := e.Intn(len(from))
			out = append(out, from[i])
			from = slices.Delete(slices.Clone(from), i, i+1)
		}
		return out
	}
	picked := take(readable, 3)
	for i, o := range picked {
		if i < 2 {
			items = append(items, importItem{o.ID, o.Raw, "present"})
		} else {
			items = append(items, importItem{o.ID, withProps(o.Raw, nil), "conflicting"})
		}
	}
	if e.Final {
		// The writer's own content over versions hidden from it, and the
		// same under a fresh id: both must be answered as new.
		for _, o := range take(hidden, 2) {
			mine := withProps(o.Raw, []string{liaison.TLPRedID})
			items = append(items, importItem{o.ID, mine, "added"})
			fresh := o.Type + "--" + newUUID(e)
			items = append(items, importItem{fresh, bytes.ReplaceAll(mine, []byte(o.ID), []byte(fresh)), "added"})
		}
	}
	bad := "indicator--" + newUUID(e)
	items = append(items, importItem{bad, []byte(`{"type":"indicator","spec_version":"2.1","id":"` + bad + `"}`), "rejected"})
	order := e.Intn(len(items))
	items[order], items[len(items)-1] = items[len(items)-1], items[order]

	var bundle bytes.Buffer
	bundle.WriteString(`{"type":"bundle","id":"bundle--` + newUUID(e) + `","objects":[`)
	for i, it := range items {
		if i > 0 {
			bundle.WriteByte(',')
		}
		bundle.Write(it.raw)
	}
	bundle.WriteString(`]}`)
	// No marking is picked but TLP, which writes nothing of its own: the
	// hub's marking for a classification or a list would be a new
	// object in the collection for every later check.
	tlp := previewTLPs[e.Intn(len(previewTLPs))]
	status, body, err := b.upload(e, []string{"csrf", csrf, "collection", c.ID, "tlp", tlp}, bundle.Bytes())
	what := fmt.Sprintf("web import into %s", c.Key)
	if err != nil || status != http.StatusOK {
		e.Errorf(r, "%s: status %d err %v: %s", what, status, err, truncateBody([]byte(body)))
		return
	}
	e.stats.Versions.Add(int64(len(items)))
	counts := map[string]int{}
	for _, m := range resultCountRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		counts[m[1]] = n
	}
	want := map[string]int{}
	visible := map[string]bool{}
	var wantRejected, wantConflicts []string
	for i, it := range items {
		want[it.want]++
		visible[it.id] = true
		switch it.want {
		case "rejected":
			wantRejected = append(wantRejected, strconv.Itoa(i))
		case "conflicting":
			wantConflicts = append(wantConflicts, strconv.Itoa(i))
		}
	}
	for _, k := range []string{"added", "present", "conflicting", "rejected"} {
		switch got := counts[k]; {
		case got == want[k]:
		case k == "present" || k == "conflicting":
			e.Errorf(r, "LEAK %s: %d %s, the reference %d: a version hidden from the writer is told apart from a new one", what, got, k, want[k])
		default:
			e.Errorf(r, "%s: %d %s, the reference %d", what, got, k, want[k])
		}
	}
	var gotRejected, gotConflicts []string
	for _, m := range rejectedRE.FindAllStringSubmatch(body, -1) {
		gotRejected = append(gotRejected, m[1])
	}
	for _, m := range conflictRE.FindAllStringSubmatch(body, -1) {
		gotConflicts = append(gotConflicts, m[1])
	}
	if !slices.Equal(gotRejected, wantRejected) {
		e.Errorf(r, "%s: lists rejected objects %v, the reference %v", what, gotRejected, wantRejected)
	}
	if !slices.Equal(gotConflicts, wantConflicts) {
		e.Errorf(r, "LEAK %s: lists conflicting objects %v, the reference %v", what, gotConflicts, wantConflicts)
	}
	noStrangers(e, r, what, []string{body}, visible)
}

// withProps returns raw with a property of the writer's own added, so
// that its bytes differ, and with its object_marking_refs replaced by
// refs when refs is not nil.
func withProps(raw []byte, refs []string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw
	}
	m["x_leaktest_import"] = json.RawMessage(`true`)
	if refs != nil {
		m["object_marking_refs"] = mustJSON(refs)
		delete(m, "granular_markings")
	}
	return mustJSON(m)
}

// upload posts the import form with the bundle last, as a browser does.
func (b *webBrowser) upload(e *Env, kv []string, bundle []byte) (int, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := mw.WriteField(kv[i], kv[i+1]); err != nil {
			return 0, "", err
		}
	}
	fw, err := mw.CreateFormFile("bundle", "leaktest.json")
	if err != nil {
		return 0, "", err
	}
	fw.Write(bundle)
	mw.Close()
	req, err := http.NewRequestWithContext(e.Ctx(), http.MethodPost, b.ws.srv.URL+"/import", &buf)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.ws.srv.URL)
	return b.send(e, req)
}
