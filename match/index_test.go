package match

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func mustCompile(t testing.TB, src string) *Pattern {
	t.Helper()
	p, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%s): %v", src, err)
	}
	return p
}

func all(string) bool { return true }

func hitIDs(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.IndicatorID)
	}
	return out
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestIndexLifecycle(t *testing.T) {
	clk := &clock{t: t0}
	x := NewIndex(clk.now)
	p1 := mustCompile(t, `[ipv4-addr:value = '198.51.100.1']`)
	p2 := mustCompile(t, `[ipv4-addr:value = '203.0.113.33']`)
	obs := batch(t, od("1", 0, 0, 1, ip1))
	add := func(ind *Indicator) {
		t.Helper()
		if err := x.Add(ind); err != nil {
			t.Fatal(err)
		}
	}
	add(&Indicator{ID: "indicator--a", Modified: t0, Pattern: p1})
	if got := hitIDs(x.MatchBatch(obs, all)); !slices.Equal(got, []string{"indicator--a"}) {
		t.Fatalf("hits = %v", got)
	}
	// A newer version replaces the pattern.
	add(&Indicator{ID: "indicator--a", Modified: t0.Add(time.Hour), Pattern: p2})
	if got := x.MatchBatch(obs, all); len(got) != 0 {
		t.Fatalf("after new version: %v", got)
	}
	// A stale version is ignored.
	add(&Indicator{ID: "indicator--a", Modified: t0, Pattern: p1})
	if got := x.MatchBatch(obs, all); len(got) != 0 {
		t.Fatalf("after stale version: %v", got)
	}
	// Revoking removes it.
	add(&Indicator{ID: "indicator--a", Modified: t0.Add(2 * time.Hour), Revoked: true, Pattern: p1})
	if x.Len() != 0 {
		t.Fatalf("Len after revoke = %d", x.Len())
	}
	// valid_until passes by the clock: no match at once, and out of the
	// index on Expire.
	add(&Indicator{ID: "indicator--b", Modified: t0, ValidUntil: t0.Add(time.Minute), Pattern: p1})
	add(&Indicator{ID: "indicator--c", Modified: t0, ValidFrom: t0.Add(time.Hour), Pattern: p1})
	if got := hitIDs(x.MatchBatch(obs, all)); !slices.Equal(got, []string{"indicator--b"}) {
		t.Fatalf("hits = %v (c is not valid yet)", got)
	}
	clk.set(t0.Add(time.Minute))
	if got := x.MatchBatch(obs, all); len(got) != 0 {
		t.Fatalf("expired still matches: %v", got)
	}
	if n := x.Expire(); n != 1 || x.Len() != 1 {
		t.Fatalf("Expire = %d, Len = %d", n, x.Len())
	}
	clk.set(t0.Add(2 * time.Hour))
	if got := hitIDs(x.MatchBatch(obs, all)); !slices.Equal(got, []string{"indicator--c"}) {
		t.Fatalf("hits = %v", got)
	}
	// An already expired version is not filed.
	add(&Indicator{ID: "indicator--d", Modified: t0, ValidUntil: t0, Pattern: p1})
	if x.Len() != 1 {
		t.Fatalf("Len = %d", x.Len())
	}
	if !x.Remove("indicator--c") || x.Remove("indicator--c") || x.Len() != 0 {
		t.Fatal("Remove")
	}
	if len(x.post) != 0 || len(x.paths) != 0 || len(x.byPath) != 0 {
		t.Fatalf("empty index keeps keys: %v %v %v", x.post, x.paths, x.byPath)
	}
	if err := x.Add(&Indicator{ID: "indicator--e"}); err == nil {
		t.Fatal("Add without a pattern")
	}
}

// TestVisible: the filter decides, and a nil filter matches nothing.
func TestVisible(t *testing.T) {
	x := NewIndex(func() time.Time { return t0 })
	p := mustCompile(t, `[ipv4-addr:value = '198.51.100.1']`)
	for _, id := range []string{"indicator--jpn", "indicator--fra"} {
		if err := x.Add(&Indicator{ID: id, Pattern: p}); err != nil {
			t.Fatal(err)
		}
	}
	obs := batch(t, od("1", 0, 0, 1, ip1))
	if got := x.MatchBatch(obs, nil); got != nil {
		t.Fatalf("nil filter: %v", got)
	}
	if got := x.Match(obs[0], nil); got != nil {
		t.Fatalf("nil filter: %v", got)
	}
	got := hitIDs(x.Match(obs[0], func(id string) bool { return id == "indicator--jpn" }))
	if !slices.Equal(got, []string{"indicator--jpn"}) {
		t.Fatalf("hits = %v", got)
	}
	if h := x.Match(obs[0], all); len(h) != 2 || h[0].Observations[0] != "observed-data--1" {
		t.Fatalf("hits = %+v", h)
	}
}

// TestKeys: which keys each kind of pattern is filed under, and so which
// observations are tried against it.
func TestKeys(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want string
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, `[{ipv4-addr:value 0 198.51.100.1} {ipv4-addr:value 1 198.51.100.1/32}]`},
		{`[file:hashes.MD5 = 'x' AND file:name LIKE 'a%']`, `[{file:hashes.MD5 0 x}]`},
		{`[file:name LIKE 'a%' AND file:hashes.MD5 = 'x']`, `[{file:hashes.MD5 0 x}]`},
		{`[file:name = 'a' OR file:name = 'b']`, `[{file:name 0 a} {file:name 0 b}]`},
		{`[file:name = 'a' OR file:name != 'b']`, `[{ 8 file}]`},
		{`[file:name = 'a' OR domain-name:value LIKE 'b%']`, `[{file:name 0 a} {domain-name:value 7 b}]`},
		{`[file:name = 'a' OR domain-name:value LIKE '%']`, `[{ 8 file} { 8 domain-name}]`},
		{`[url:value MATCHES '^https?://[a-z]+/x12$']`, `[{url:value 7 /x12}]`},
		{`[domain-name:value LIKE '%.evil42.example']`, `[{domain-name:value 7 .evil42.}]`},
		{`[domain-name:value NOT LIKE 'a%']`, `[{ 8 domain-name}]`},
		{`[artifact:payload_bin MATCHES 'abc']`, `[{ 8 artifact}]`},
		{`[file:name NOT = 'a']`, `[{ 8 file}]`},
		{`[file:size IN (1, 2.0, 2.5)]`, `[{file:size 3 1} {file:size 3 2} {file:size 3 f2.5}]`},
		{`[file:size IN ()]`, `[]`},
		{`[file:name = 'a' AND domain-name:value = 'b']`, `[{file:name 0 a}]`},
		{`[file:name != 'a' AND domain-name:value != 'b']`, `[]`},
		{`[file:name = 'a'] AND [domain-name:value LIKE 'x%']`, `[{file:name 0 a}]`},
		{`[file:name LIKE 'x%'] FOLLOWEDBY [domain-name:value = 'a']`, `[{domain-name:value 0 a}]`},
		{`[file:name = 'a'] OR [domain-name:value LIKE 'x%']`, `[{file:name 0 a} {domain-name:value 7 x}]`},
		{`([file:name = 'a'] OR [file:name = 'b']) REPEATS 3 TIMES WITHIN 10 SECONDS`, `[{file:name 0 a} {file:name 0 b}]`},
		{`[artifact:payload_bin = 'abc']`, `[{artifact:payload_bin 2 abc}]`},
		{`[artifact:payload_bin = 'ā']`, `[]`},
		{`[x:v = h'c3']`, `[{x:v 0 Ã}]`},
		{`[x:v = true]`, `[{x:v 4 t}]`},
		{`[ipv4-addr:value ISSUBSET '10.1.2.3/8']`, `[{ipv4-addr:value 6 10.0.0.0/8}]`},
		{`[ipv4-addr:value ISSUPERSET '10.0.0.0/8']`, `[{ 8 ipv4-addr}]`},
	} {
		got := fmt.Sprint(mustCompile(t, tt.src).root.keys())
		if got != tt.want {
			t.Errorf("keys(%s) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

// TestCandidates: an observation is tried only against the indicators
// whose keys it produces.
func TestCandidates(t *testing.T) {
	x := NewIndex(func() time.Time { return t0 })
	srcs := []string{
		`[ipv4-addr:value = '198.51.100.1']`,
		`[ipv4-addr:value = '203.0.113.33']`,
		`[file:name LIKE '%.dll']`,
		`[network-traffic:dst_ref.value = '198.51.100.1']`,
		`[domain-name:value = 'example.com']`,
		`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`,
		`[ipv4-addr:value ISSUBSET '198.51.0.0/16']`,
	}
	for i, s := range srcs {
		if err := x.Add(&Indicator{ID: fmt.Sprintf("indicator--%d", i), Pattern: mustCompile(t, s)}); err != nil {
			t.Fatal(err)
		}
	}
	nt := `{"type": "network-traffic", "dst_ref": "1"}`
	for _, tt := range []struct {
		obj  []string
		want []string
	}{
		{[]string{ip1}, []string{"indicator--0", "indicator--5", "indicator--6"}},
		{[]string{net27}, []string{"indicator--5", "indicator--6"}},
		{[]string{fileDLL}, []string{"indicator--2"}},
		{[]string{nt, ip2}, []string{"indicator--1"}},
		{[]string{nt, ip1}, []string{"indicator--0", "indicator--3", "indicator--5", "indicator--6"}},
		{[]string{dom}, []string{"indicator--4"}},
		{[]string{`{"type": "mutex", "name": "x"}`}, nil},
	} {
		b := batch(t, od("1", 0, 0, 1, tt.obj...))
		var got []string
		for _, ind := range x.candidates(b, nil) {
			got = append(got, ind.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("candidates(%v) = %v, want %v", tt.obj, got, tt.want)
		}
	}
}

// TestConcurrent: readers match while a writer adds, replaces and removes
// (run with -race).
func TestConcurrent(t *testing.T) {
	x := NewIndex(nil)
	obs := batch(t, od("1", 0, 0, 1, ip1))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, h := range x.Match(obs[0], all) {
					if h.IndicatorID == "" || len(h.Observations) != 1 {
						t.Errorf("bad hit %+v", h)
					}
				}
			}
		}()
	}
	p := mustCompile(t, `[ipv4-addr:value = '198.51.100.1'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']`)
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("indicator--%d", i%50)
		if i%7 == 0 {
			x.Remove(id)
			continue
		}
		if err := x.Add(&Indicator{ID: id, Modified: t0.Add(time.Duration(i)), Pattern: p}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}
