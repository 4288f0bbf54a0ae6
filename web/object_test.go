package web

import (
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"liaison/stix/pattern"
)

var refRE = regexp.MustCompile(`<a href="([^"]+)" data-ref="([^"]+)">`)

// TestObjectPage checks an object's page for people: the latest version
// the reader may read, its properties rendered (times in the reader's
// zone and UTC, the pattern, kill-chain phases, external references),
// raw JSON behind a toggle, and every version the reader may read.
func TestObjectPage(t *testing.T) {
	l := newLibrary(t, 0)
	b := l.signedIn(t, "jpn")
	base := "/collections/" + l.cyber.ID + "/objects/"
	status, _, body := b.get(base + l.indA)
	if status != 200 {
		t.Fatalf("%d\n%s", status, body)
	}
	checkLayout(t, "object page", body)
	for _, want := range []string{
		"LanternLoader C2 domain (updated)", // the latest version
		`<details class="raw"><summary>Raw JSON of this version</summary>`,
		"2024-03-01T09:00:09&#43;09:00 JST", "2024-03-01T00:00:09.000Z", // Tokyo and UTC
		`<span class="text">The update domain.` + "\n" + `Second line.</span>`,
		"changes against the shown version",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if got, want := keys(body), []string{l.indA + "@" + l.aV1, l.indA + "@" + l.aV2}; !slices.Equal(got, want) {
		t.Errorf("versions %v, want %v", got, want)
	}
	if b := banners(body); len(b) == 0 || b[0] != "TLP:GREEN" {
		t.Errorf("banner %v, want TLP:GREEN", b)
	}

	// The first version: its pattern, phases and references.
	status, _, body = b.get(base + l.indA + "?version=" + url.QueryEscape(l.aV1))
	if status != 200 {
		t.Fatalf("first version: %d", status)
	}
	for _, want := range []string{
		"<pre class=\"pattern\">[domain-name:value = &#39;update.lantern.example&#39; OR domain-name:value = &#39;cdn.lantern.example&#39;]\nAND\n[network-traffic:dst_port = 443] WITHIN 600 SECONDS</pre>",
		`<span class="chain">mitre-attack</span>: <strong>command-and-control</strong>`,
		`<a href="https://reports.example/lantern" rel="noopener noreferrer">`,
		`<strong>bad</strong>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the first version's page lacks %q", want)
		}
	}
	if strings.Contains(body, `href="javascript:`) {
		t.Error("a javascript: reference is a link")
	}
}

// TestObjectReferences checks that a reference is a link only where the
// reader may read what it names, and plain text otherwise.
func TestObjectReferences(t *testing.T) {
	l := newLibrary(t, 0)
	for _, tc := range []struct {
		user         string
		links, plain []string
	}{
		{"jpn", []string{l.indA, l.indB}, []string{l.malM}},
		{"kor", []string{l.indA}, []string{l.indB, l.malM}},
		{"usa", []string{l.indA, l.indB, l.malM}, nil},
	} {
		t.Run(tc.user, func(t *testing.T) {
			_, _, body := l.signedIn(t, tc.user).get("/collections/" + l.cyber.ID + "/objects/" + l.report)
			var linked []string
			for _, m := range refRE.FindAllStringSubmatch(body, -1) {
				linked = append(linked, m[2])
				if want := "/collections/" + l.cyber.ID + "/objects/" + m[2]; html.UnescapeString(m[1]) != want {
					t.Errorf("link %s, want %s", m[1], want)
				}
			}
			if !slices.Equal(linked, tc.links) {
				t.Errorf("links to %v, want %v", linked, tc.links)
			}
			for _, id := range tc.plain {
				if !strings.Contains(body, "<li><code>"+id+"</code></li>") {
					t.Errorf("%s is not shown as plain text", id)
				}
			}
		})
	}
}

// TestHiddenObjectIsMissing checks that an object the reader may not
// read gives exactly the page of one that does not exist, on every
// object path, as does a version of it that is not theirs to read.
func TestHiddenObjectIsMissing(t *testing.T) {
	l := newLibrary(t, 0)
	base := "/collections/" + l.cyber.ID + "/objects/"
	for _, tc := range []struct{ user, hidden, missing string }{
		{"jpn", l.malM, "malware--0f0e0d0c-0b0a-4908-8706-050403020100"},
		{"jpn", l.rel, "relationship--0f0e0d0c-0b0a-4908-8706-050403020100"},
		{"kor", l.indB, "indicator--0f0e0d0c-0b0a-4908-8706-050403020100"},
		{"jpn", l.malN, "malware--0f0e0d0c-0b0a-4908-8706-050403020101"}, // stored, in another collection
	} {
		b := l.signedIn(t, tc.user)
		for _, sub := range []string{"", "?version=2024-03-01T00:00:03Z", "/diff?from=2024-03-01T00:00:03Z&to=2024-03-01T00:00:03Z"} {
			hs, _, hb := b.get(base + tc.hidden + sub)
			ms, _, mb := b.get(base + tc.missing + sub)
			if hs != 404 || ms != 404 {
				t.Errorf("%s %s%s: hidden %d, missing %d, want 404", tc.user, tc.hidden, sub, hs, ms)
			}
			if strings.ReplaceAll(hb, tc.hidden, "<id>") != strings.ReplaceAll(mb, tc.missing, "<id>") {
				t.Errorf("%s %s%s: the pages differ:\n%s\n---\n%s", tc.user, tc.hidden, sub, hb, mb)
			}
		}
		// In the lists, an id filter on the hidden object reads like one on a missing object.
		_, _, hb := b.get("/collections/" + l.cyber.ID + "/objects?id=" + tc.hidden)
		_, _, mb := b.get("/collections/" + l.cyber.ID + "/objects?id=" + tc.missing)
		if strings.ReplaceAll(hb, tc.hidden, "<id>") != strings.ReplaceAll(mb, tc.missing, "<id>") {
			t.Errorf("%s: the list filtered on %s differs from one on a missing id", tc.user, tc.hidden)
		}
	}
	// A version that does not exist of an object that does.
	b := l.signedIn(t, "jpn")
	if status, _, _ := b.get(base + l.indA + "?version=2020-01-01T00:00:00Z"); status != 404 {
		t.Errorf("a missing version: %d, want 404", status)
	}
	for _, q := range []string{"?version=yesterday", "?colour=red"} {
		if status, _, body := b.get(base + l.indA + q); status != 400 || !strings.Contains(body, "field") {
			t.Errorf("%s: %d, want 400 naming the field", q, status)
		}
	}
	if status, _, _ := b.get(base + "not-an-id"); status != 400 {
		t.Errorf("a malformed id: %d, want 400", status)
	}
}

// TestDiff checks the comparison of two versions.
func TestDiff(t *testing.T) {
	l := newLibrary(t, 0)
	b := l.signedIn(t, "jpn")
	path := "/collections/" + l.cyber.ID + "/objects/" + l.indA + "/diff?from=" + url.QueryEscape(l.aV1) + "&to=" + url.QueryEscape(l.aV2)
	status, _, body := b.get(path)
	if status != 200 {
		t.Fatalf("%d\n%s", status, body)
	}
	checkLayout(t, "diff", body)
	for _, want := range []string{
		`<tr class="op-del">`, `<tr class="op-add">`,
		`&#34;name&#34;: &#34;LanternLoader C2 domain (updated)&#34;,`,
		`<span class="op" aria-hidden="true">-</span><span class="sr-only">removed: </span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comparison lacks %q", want)
		}
	}
	for _, q := range []string{"?from=" + url.QueryEscape(l.aV1), "?to=" + url.QueryEscape(l.aV1), "?from=x&to=y"} {
		p := "/collections/" + l.cyber.ID + "/objects/" + l.indA + "/diff" + q
		if status, _, body := b.get(p); status != 400 || !strings.Contains(body, "field") {
			t.Errorf("%s: %d, want 400 naming the field", q, status)
		}
	}
}

// TestLineDiff checks the diff itself.
func TestLineDiff(t *testing.T) {
	tests := []struct {
		a, b string
		want string // ops
	}{
		{"", "", "="},
		{"a\nb\nc", "a\nb\nc", "==="},
		{"a\nb\nc", "a\nx\nc", "=-+="},
		{"a\nb", "a\nb\nc", "==+"},
		{"a\nb\nc", "c", "--="},
		{"x\na\ny\nb", "a\nz\nb\nw", "-=-+=+"},
	}
	for _, tc := range tests {
		d := lineDiff(strings.Split(tc.a, "\n"), strings.Split(tc.b, "\n"))
		var ops, back, fwd []string
		for _, l := range d {
			ops = append(ops, l.Op)
			if l.Op != "+" {
				back = append(back, l.Text)
			}
			if l.Op != "-" {
				fwd = append(fwd, l.Text)
			}
		}
		if got := strings.Join(ops, ""); got != tc.want {
			t.Errorf("diff %q → %q: %s, want %s", tc.a, tc.b, got, tc.want)
		}
		if strings.Join(back, "\n") != tc.a || strings.Join(fwd, "\n") != tc.b {
			t.Errorf("diff %q → %q does not rebuild both sides", tc.a, tc.b)
		}
	}
	big := make([]string, maxDiffLines+1)
	if lineDiff(big, nil) != nil {
		t.Error("a side over the bound was diffed")
	}
}

// TestPrettyPattern checks that the pretty pattern is the same pattern.
func TestPrettyPattern(t *testing.T) {
	for _, src := range []string{
		"[file:name = 'a']",
		"[a:x = 1] AND [b:y = 2] OR [c:z = 3]",
		"([a:x = 1] OR [b:y = 2]) AND [c:z = 3] REPEATS 2 TIMES",
		"[a:x = 1] FOLLOWEDBY ([b:y = 2] AND [c:z = 3]) WITHIN 60 SECONDS",
		"(([a:x = 1] OR [b:y = 2]) FOLLOWEDBY [c:z = 3]) START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'",
	} {
		p, err := pattern.Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		pretty := prettyPattern(p)
		q, err := pattern.Parse(pretty)
		if err != nil {
			t.Fatalf("pretty %q does not parse: %v", pretty, err)
		}
		if q.String() != p.String() {
			t.Errorf("pretty %q is %q, want %q", pretty, q.String(), p.String())
		}
	}
}
