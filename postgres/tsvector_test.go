package postgres

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"liaison/bench"
	"liaison/core"
)

// pgVectorQuery is the expression of the generated column of migration
// 1100 (and of the search_docs_doc trigger), and whether a vector equals it.
const pgVectorQuery = `SELECT (setweight(to_tsvector('simple'::regconfig, $1::text), 'A') || setweight(to_tsvector('simple'::regconfig, $2::text), 'B') ||
	setweight(to_tsvector('simple'::regconfig, $3::text), 'C'))::text, $4::tsvector::text`

// vectorConn connects to the test server, or returns nil without one.
func vectorConn(t testing.TB) *pgx.Conn {
	t.Helper()
	u := os.Getenv("LIAISON_TEST_POSTGRES")
	if u == "" {
		return nil
	}
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// checkVector checks searchVector's vector of a document, when it makes
// one, against its own invariants and, with a server, against the
// server's own vector of the same text.
func checkVector(t testing.TB, conn *pgx.Conn, name, tags, body string) bool {
	t.Helper()
	v, ok := searchVector(name, tags, body)
	if !ok {
		return false
	}
	words := 0
	for _, p := range []string{name, tags, body} {
		if p != "" {
			words += len(strings.Split(p, " "))
		}
	}
	n := 0
	for i, l := range v.Lexemes {
		if i > 0 && v.Lexemes[i-1].Word >= l.Word {
			t.Fatalf("lexemes out of order: %q then %q", v.Lexemes[i-1].Word, l.Word)
		}
		for j, p := range l.Positions {
			if j > 0 && l.Positions[j-1].Position >= p.Position {
				t.Fatalf("positions of %q out of order: %v", l.Word, l.Positions)
			}
		}
		n += len(l.Positions)
	}
	if n != words {
		t.Fatalf("%d positions for %d words", n, words)
	}
	if conn == nil {
		return true
	}
	var want, got string
	if err := conn.QueryRow(context.Background(), pgVectorQuery, name, tags, body, v).Scan(&want, &got); err != nil {
		t.Fatalf("vector of %.60q: %v", name+"|"+tags+"|"+body, err)
	}
	if got != want {
		t.Fatalf("vector of name %.80q tags %.80q body %.80q:\n got %.300s\nwant %.300s", name, tags, body, got, want)
	}
	return true
}

// TestSearchVector: the vector searchVector makes is PostgreSQL's own for
// the documents of the benchmark's objects and for edge cases at each
// limit, and it declines what it cannot vouch for.
func TestSearchVector(t *testing.T) {
	conn := vectorConn(t)
	if conn == nil {
		t.Log("no LIAISON_TEST_POSTGRES: checking the vectors' own invariants only")
	}
	g := bench.NewGenerator(7)
	made := 0
	for range 2000 {
		d := core.SearchTextOf(g.Next().Raw)
		if checkVector(t, conn, d.Name, d.Keys, d.Body) {
			made++
		}
	}
	if made < 1950 {
		t.Errorf("made %d of 2000 benchmark documents' vectors, want (nearly) all", made)
	}
	rep := func(w string, n int) string { return strings.TrimSuffix(strings.Repeat(w+" ", n), " ") }
	distinct := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = "w" + strconv.Itoa(i)
		}
		return strings.Join(ws, " ")
	}
	long := strings.Repeat("x", vectorMaxWordLen)
	for _, c := range []struct {
		name, tags, body string
		ok               bool
	}{
		{"", "", "", true},
		{"apt28", "", "", true},
		{"", "t1059", "", true},
		{"", "", "a b a b", true},
		{"fancy bear", "apt28 fancy", "fancy bear is apt28 bear", true},
		{"0001 12e 1st 007 e9e9 1ea 9eb", "x1 1x x9e9b", "123456789012345678901234567890", true},
		{"1e5", "", "", false},
		{"9e9b83e77f93", "", "", false},
		{"", "", "12e3x", false},
		{"a", "", "b", true},
		{rep("w", vectorMaxRepeats), "", "", true},
		{rep("w", vectorMaxRepeats), "w", "", false},
		{"", "", distinct(vectorMaxPos), true},
		{"x", "", distinct(vectorMaxPos), false},
		{long, long + "y", "", false},
		{long, "", "", true},
		{"Upper", "", "", false},
		{"café", "", "", false},
		{"two  spaces", "", "", false},
		{"trailing ", "", "", false},
		{" leading", "", "", false},
		{"t1566.001", "", "", false},
		{"spear-phishing", "", "", false},
	} {
		if got := checkVector(t, conn, c.name, c.tags, c.body); got != c.ok {
			t.Errorf("searchVector(%.40q, %.40q, %.40q) made a vector: %v, want %v", c.name, c.tags, c.body, got, c.ok)
		}
	}
	// Random documents of short words from a small alphabet, so that words
	// repeat within and across the parts.
	r := rand.New(rand.NewPCG(1, 2))
	const alpha = "ae019z"
	part := func() string {
		ws := make([]string, r.IntN(40))
		for i := range ws {
			b := make([]byte, 1+r.IntN(3))
			for j := range b {
				b[j] = alpha[r.IntN(len(alpha))]
			}
			ws[i] = string(b)
		}
		return strings.Join(ws, " ")
	}
	declined := 0
	for range 300 {
		if !checkVector(t, conn, part(), part(), part()) {
			declined++ // a word like 1e0z
		}
	}
	if declined > 250 {
		t.Errorf("declined %d of 300 random documents", declined)
	}
}

// FuzzSearchVector: whatever the text, searchVector either declines it or
// makes PostgreSQL's own vector of it (checked against the server when
// LIAISON_TEST_POSTGRES is set).
func FuzzSearchVector(f *testing.F) {
	f.Add("fancy bear", "apt28", "fancy bear is apt28")
	f.Add("", "", "a  b")
	f.Add("café", "x", "1e5 0x1f")
	conn := vectorConn(f)
	f.Fuzz(func(t *testing.T, name, tags, body string) {
		checkVector(t, conn, name, tags, body)
	})
}

// BenchmarkSearchVector makes the vectors of the benchmark's documents.
func BenchmarkSearchVector(b *testing.B) {
	g := bench.NewGenerator(1)
	docs := make([][3]string, 1000)
	for i := range docs {
		d := core.SearchTextOf(g.Next().Raw)
		docs[i] = [3]string{d.Name, d.Keys, d.Body}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := docs[i%len(docs)]
		searchVector(d[0], d[1], d[2])
	}
}
