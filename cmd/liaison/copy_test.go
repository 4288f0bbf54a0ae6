package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"liaison"
	"liaison/postgres"
	"liaison/sqlite"
)

// pgURL returns a URL of the test PostgreSQL server with a fresh schema
// of its own as search_path, dropped when the test ends; it skips the
// test when no server is named.
func pgURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("LIAISON_TEST_POSTGRES")
	if base == "" {
		t.Skip("no PostgreSQL to test against: set LIAISON_TEST_POSTGRES=postgres://user@host:5432/db?sslmode=disable to run the PostgreSQL CLI tests")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "liaison_cli_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// runCLI runs one command line in-process with nothing from the
// environment, as `liaison ARGS…`.
func runCLI(args ...string) result { return runCLIEnv(nil, args...) }

// runCLIEnv runs one command line in-process with the environment vars.
func runCLIEnv(vars map[string]string, args ...string) result {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] },
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errb.String()}
}

func mustCLI(t *testing.T, args ...string) result {
	t.Helper()
	r := runCLI(args...)
	if r.code != 0 {
		t.Fatalf("liaison %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// exported returns everything a store exports, merged across parts (each
// store may cut its parts differently), as JSON with null and [] taken as
// equal (SQLite keeps an empty list of refs as null, PostgreSQL as an
// empty array).
func exported(t *testing.T, s liaison.Store) map[string]any {
	t.Helper()
	merged := map[string]any{}
	err := s.(liaison.Snapshotter).Export(context.Background(), func(p liaison.SnapshotPart) error {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		for k, x := range v {
			if l, ok := x.([]any); ok {
				have, _ := merged[k].([]any)
				merged[k] = append(have, l...)
			} else if _, seen := merged[k]; x != nil || !seen {
				merged[k] = x
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return nullsAsEmpty(merged).(map[string]any)
}

func nullsAsEmpty(v any) any {
	switch x := v.(type) {
	case nil:
		return []any{}
	case map[string]any:
		for k, e := range x {
			x[k] = nullsAsEmpty(e)
		}
	case []any:
		if x == nil {
			return []any{}
		}
		for i, e := range x {
			x[i] = nullsAsEmpty(e)
		}
	}
	return v
}

// everything returns every version each demo user reads in every
// collection, with its bytes, as "user coll id modified added originator
// raw" lines.
func everything(t *testing.T, s liaison.Store) []string {
	t.Helper()
	ctx := context.Background()
	colls, err := s.AllCollections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range demoUsers {
		p, err := s.User(ctx, u.name)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range colls {
			q := liaison.ObjectQuery{Versions: []string{"all"}, Limit: 7}
			for {
				page, err := s.Objects(ctx, p, c.ID, q)
				if liaison.ErrorCode(err) == liaison.ENOTFOUND {
					out = append(out, u.name+" may not read "+c.ID)
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range page.Versions {
					out = append(out, strings.Join([]string{u.name, c.ID, v.ID, v.Modified.String(), v.DateAdded.String(), v.Originator, v.DefaultMarking, string(v.Raw)}, " "))
				}
				if !page.More {
					break
				}
				q.Next = page.Next
			}
		}
		ps, err := s.(liaison.DecisionService).Proposals(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			ps[i].AsOf = time.Time{} // the instant of the read, not of the office
		}
		b, _ := json.Marshal(ps)
		out = append(out, u.name+" proposals "+string(b))
		cs, err := s.(liaison.ConsultationService).Consultations(ctx, p, liaison.ConsultationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			ks, err := s.(liaison.ConsultationService).Contributions(ctx, p, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				out = append(out, u.name+" contribution "+k.Text+" refs "+strings.Join(k.Refs, ","))
			}
		}
		b, _ = json.Marshal(cs)
		out = append(out, u.name+" consultations "+string(b))
	}
	return out
}

// TestCopyRoundTrip copies the demo office SQLite → PostgreSQL → SQLite
// with `liaison copy` and proves nothing changed on the way: every
// object's bytes, date_added, originator and audience, every user, token,
// consultation and proposal; tokens still authenticate and passwords
// still verify.
func TestCopyRoundTrip(t *testing.T) {
	pg := pgURL(t)
	ctx := context.Background()
	dirA := filepath.Join(t.TempDir(), "a")
	dirB := filepath.Join(t.TempDir(), "b")
	a, err := sqlite.Open(ctx, dirA, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := buildDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	wantExport, wantReads := exported(t, a), everything(t, a)
	a.Close()

	r := mustCLI(t, "copy", "--from", dirA, "--to", pg)
	for _, want := range []string{"organisations", "users", "object versions", "copied the office"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("copy to PostgreSQL reports no %q on stderr:\n%s", want, r.stderr)
		}
	}
	mustCLI(t, "copy", "--from", pg, "--to", dirB)

	// A target with an office is refused and left alone.
	for _, to := range []string{pg, dirB} {
		r := runCLI("copy", "--from", dirA, "--to", to)
		if r.code != 2 || !strings.Contains(r.stderr, "holds an office already") {
			t.Errorf("copy into %s again: exit %d, stderr %q; want 2 and a refusal", to, r.code, r.stderr)
		}
	}
	if r := runCLI("copy", "--from", filepath.Join(t.TempDir(), "none"), "--to", filepath.Join(t.TempDir(), "c")); r.code != 2 {
		t.Errorf("copy from nowhere: exit %d, stderr %q", r.code, r.stderr)
	}

	for _, where := range []string{pg, dirB} {
		t.Run(map[bool]string{true: "postgres", false: "sqlite"}[where == pg], func(t *testing.T) {
			s, err := openAt(ctx, &env{log: slog.New(slog.NewTextHandler(io.Discard, nil))}, where)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := exported(t, s); !reflect.DeepEqual(got, wantExport) {
				t.Errorf("the export differs from the original's: %s", firstDiff("", got, wantExport))
			}
			got := everything(t, s)
			if len(got) != len(wantReads) {
				t.Errorf("readers see %d lines, want %d", len(got), len(wantReads))
			}
			for i := range min(len(got), len(wantReads)) {
				if got[i] != wantReads[i] {
					t.Errorf("line %d differs:\n got %.300s\nwant %.300s", i, got[i], wantReads[i])
					break
				}
			}
			for _, u := range demoUsers {
				p, err := s.Authenticate(ctx, u.name, u.password())
				if err != nil || p.Org != u.org {
					t.Errorf("password of %s: %+v, %v", u.name, p, err)
				}
				p, err = s.PrincipalByToken(ctx, tokens[u.name])
				if err != nil || p.Name != u.name {
					t.Errorf("token of %s: %+v, %v", u.name, p, err)
				}
			}
		})
	}

	// Every other command works on the copy through --db.
	if out := mustCLI(t, "org", "list", "--db", pg).stdout; !strings.Contains(out, "NATO-LO-TOKYO") || !strings.Contains(out, "JPN") {
		t.Errorf("org list --db:\n%s", out)
	}
	if out := mustCLI(t, "migrate", "--db", pg).stdout; !strings.Contains(out, "up to date") {
		t.Errorf("migrate --db on a current database: %q", out)
	}
}

// TestInitAndMigrateOnPostgres makes an office in PostgreSQL with init
// --db, uses it, refuses a second init, and reports its migrations.
func TestInitAndMigrateOnPostgres(t *testing.T) {
	pg := pgURL(t)
	if r := runCLI("org", "list", "--db", pg); r.code != 2 || !strings.Contains(r.stderr, "liaison init --db") {
		t.Errorf("org list on an empty database: exit %d, stderr %q", r.code, r.stderr)
	}
	r := mustCLI(t, "init", "--nations", "--db", pg)
	token := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(token, "lia_") {
		t.Fatalf("init --db printed %q", r.stdout)
	}
	if strings.Contains(r.stderr, "postgres@") && strings.Contains(pg, ":pw@") {
		t.Errorf("the password shows in %q", r.stderr)
	}
	if r := runCLI("init", "--db", pg); r.code != 2 || !strings.Contains(r.stderr, "a store exists already") {
		t.Errorf("second init --db: exit %d, stderr %q", r.code, r.stderr)
	}
	// LIAISON_DB names the database when --db is not given.
	if r := runCLIEnv(map[string]string{"LIAISON_DB": pg}, "org", "list"); r.code != 0 || !strings.Contains(r.stdout, "NATO-LO-TOKYO") {
		t.Errorf("org list with LIAISON_DB: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	mustCLI(t, "user", "add", "jpn-1", "--org", "JPN", "--role", "analyst", "--no-password", "--db", pg)
	if out := mustCLI(t, "user", "list", "--db", pg).stdout; !strings.Contains(out, "jpn-1") {
		t.Errorf("user list --db:\n%s", out)
	}
	latest, err := postgres.Migrations()
	if err != nil || len(latest) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	if out := mustCLI(t, "migrate", "--db", pg).stdout; !strings.Contains(out, "up to date") || !strings.Contains(out, latest[len(latest)-1]) {
		t.Errorf("migrate --db: %q", out)
	}
	// A fresh schema is upgraded from nothing.
	fresh := pgURL(t)
	names, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprintf("applied %d of %d", len(names), len(names))
	if out := mustCLI(t, "migrate", "--db", fresh).stdout; !strings.Contains(out, "upgraded") || !strings.Contains(out, all) {
		t.Errorf("migrate --db on a new schema: %q", out)
	}
	// SQLite: the same command on a data folder.
	dir := filepath.Join(t.TempDir(), "office")
	mustCLI(t, "init", "--data", dir)
	if out := mustCLI(t, "migrate", "--data", dir).stdout; !strings.Contains(out, "up to date") {
		t.Errorf("migrate --data: %q", out)
	}
}

// firstDiff names the first place where two decoded JSON values differ.
func firstDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		for k := range x {
			if !reflect.DeepEqual(x[k], y[k]) {
				return firstDiff(path+"."+k, x[k], y[k])
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				return path + "." + k + " missing"
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			break
		}
		for i := range x {
			if !reflect.DeepEqual(x[i], y[i]) {
				return firstDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])
			}
		}
	}
	ga, _ := json.Marshal(a)
	gb, _ := json.Marshal(b)
	return fmt.Sprintf("%s: got %.400s, want %.400s", path, ga, gb)
}
