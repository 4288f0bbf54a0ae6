package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs one command line in-process, as a user would from a shell, and
// returns its exit code and output.
type cli struct {
	t    *testing.T
	data string
}

type result struct {
	code           int
	stdout, stderr string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{t: t, data: filepath.Join(t.TempDir(), "office")}
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	full := append([]string{}, args...)
	if len(args) > 0 && args[0] != "help" {
		full = append(full, "--data", c.data)
	}
	code := run(context.Background(), e, full)
	return result{code, out.String(), errb.String()}
}

// must runs a command that must succeed.
func (c *cli) must(stdin string, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("liaison %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// stderrOn runs a command that must succeed, its stderr a terminal when
// tty is set, and returns what it wrote there.
func (c *cli) stderrOn(tty bool, args ...string) string {
	c.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stderrIsTTY: tty}
	if code := run(context.Background(), e, append(args, "--data", c.data)); code != 0 {
		c.t.Fatalf("liaison %v: exit %d: %s", args, code, errb.String())
	}
	return errb.String()
}

// analystOffice returns a CLI on an initialised store with the analyst
// usa-analyst and the collection Cyber, which NATO writes and read reads.
func analystOffice(t *testing.T, read string) *cli {
	t.Helper()
	c, _ := initialised(t)
	c.must("correct horse battery\n", "user", "add", "usa-analyst", "--org", "USA", "--role", "analyst")
	c.must("", "collection", "add", "--title", "Cyber", "--topic", "cyber", "--read", read, "--write", "NATO")
	return c
}

// indicatorJSON is indicator number i (below 65536), of the address
// 10.0.i/256.i%256.
func indicatorJSON(i int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, i, i/256, i%256)
}

// writeBundle writes a bundle of the objects to a new file and returns
// its name.
func writeBundle(t *testing.T, objects []string) string {
	t.Helper()
	b := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[` + strings.Join(objects, ",") + "]}"
	name := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(name, []byte(b), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// initialised returns a CLI on a store made by `liaison init --nations`.
func initialised(t *testing.T) (*cli, string) {
	c := newCLI(t)
	r := c.must("", "init", "--nations")
	token := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(token, "lia_") || strings.Contains(token, "\n") {
		t.Fatalf("init must print the admin token alone on stdout, got %q", r.stdout)
	}
	return c, token
}

func TestInitPrintsTokenAloneAndRefusesTwice(t *testing.T) {
	c, _ := initialised(t)
	r := c.run("", "init")
	if r.code != 2 || !strings.Contains(r.stderr, "a store exists already") {
		t.Fatalf("second init: exit %d, stderr %q; want 2 and 'a store exists already'", r.code, r.stderr)
	}
	orgs := c.must("", "org", "list").stdout
	for _, want := range []string{"NATO-LO-TOKYO", "FRA", "USA", "JPN", "NZL", "NATO-IS"} {
		if !strings.Contains(orgs, want) {
			t.Errorf("org list lacks %s:\n%s", want, orgs)
		}
	}
	if n := strings.Count(orgs, " ally "); n != 32 {
		t.Errorf("org list has %d allies, want 32", n)
	}
}

func TestCommandsWork(t *testing.T) {
	c, _ := initialised(t)
	c.must("", "community", "add", "FIVE-EYES", "USA", "GBR", "CAN", "AUS", "NZL")
	if out := c.must("", "community", "list").stdout; !strings.Contains(out, "FIVE-EYES") || !strings.Contains(out, "AUS CAN GBR NZL USA") {
		t.Errorf("community list:\n%s", out)
	}
	c.must("", "agreement", "add", "--partner", "JPN", "--kind", "security", "--max-classification", "NATO CONFIDENTIAL", "--from", "2010-06-25")
	c.must("", "agreement", "add", "--partner", "JPN", "--kind", "programme", "--name", "ITPP 2023-2026", "--from", "2023-07-12", "--until", "2027-01-01", "--area", "cyber defence", "--area", "space security")
	if out := c.must("", "agreement", "list").stdout; !strings.Contains(out, "NATO CONFIDENTIAL") || !strings.Contains(out, "ITPP 2023-2026") {
		t.Errorf("agreement list:\n%s", out)
	}
	c.must("", "agreement", "end", "1", "--at", "2030-01-01")
	c.must("correct horse battery\n", "user", "add", "akiko", "--org", "JPN", "--role", "analyst")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("another good passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "user", "add", "pierre", "--org", "FRA", "--role", "officer", "--role", "analyst", "--password-file", pw)
	if out := c.must("", "user", "list").stdout; !strings.Contains(out, "akiko") || !strings.Contains(out, "officer,analyst") {
		t.Errorf("user list:\n%s", out)
	}
	tok := c.must("", "token", "create", "--user", "akiko")
	if secret := strings.TrimSpace(tok.stdout); !strings.HasPrefix(secret, "lia_") {
		t.Fatalf("token create printed %q", tok.stdout)
	}
	list := c.must("", "token", "list", "--user", "akiko").stdout
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 2 {
		t.Fatalf("token list:\n%s", list)
	}
	id := strings.Fields(lines[1])[0]
	c.must("", "token", "revoke", id)
	if out := c.must("", "token", "list", "--user", "akiko").stdout; !strings.Contains(out, "true") {
		t.Errorf("revoked token not shown as revoked:\n%s", out)
	}
	coll := c.must("", "collection", "add", "--title", "Cyber threats", "--topic", "cyber", "--read", "NATO,IP4", "--write", "NATO", "--write", "JPN", "--default-marking", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")
	if id := strings.TrimSpace(coll.stdout); len(id) != 36 {
		t.Errorf("collection add printed %q, want the new id", coll.stdout)
	}
	if out := c.must("", "collection", "list").stdout; !strings.Contains(out, "Cyber threats") || !strings.Contains(out, "NATO,JPN") {
		t.Errorf("collection list:\n%s", out)
	}
}

// TestBadInput runs every command with a mistake: each must fail with exit
// 2 and a one-line message naming the mistake, and change nothing.
func TestBadInput(t *testing.T) {
	c, _ := initialised(t)
	c.must("good passphrase\n", "user", "add", "akiko", "--org", "JPN")
	c.must("", "collection", "add", "--title", "T", "--topic", "cyber", "--read", "NATO")
	snapshot := func() string {
		var b strings.Builder
		for _, args := range [][]string{{"org", "list"}, {"community", "list"}, {"agreement", "list"}, {"user", "list"}, {"collection", "list"}, {"token", "list", "--user", "akiko"}} {
			b.WriteString(c.must("", args...).stdout)
		}
		return b.String()
	}
	before := snapshot()
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"unknown command", "", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", "", []string{"org", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{"org: malformed code", "", []string{"org", "add", "jp", "--name", "x", "--kind", "ally"}, "organisation code \"jp\" is malformed"},
		{"org: unknown kind", "", []string{"org", "add", "SRB", "--name", "Serbia", "--kind", "friend"}, "kind \"friend\" is unknown"},
		{"org: duplicate", "", []string{"org", "add", "FRA", "--name", "France", "--kind", "ally"}, "FRA"},
		{"org: bad time zone", "", []string{"org", "add", "SRB", "--name", "Serbia", "--kind", "partner", "--tz", "Mars/Olympus"}, "not an IANA zone"},
		{"org: missing code", "", []string{"org", "add", "--name", "x", "--kind", "ally"}, "want one organisation code"},
		{"community: unknown member", "", []string{"community", "add", "QUAD", "USA", "JPN", "IND"}, "IND"},
		{"community: built-in name", "", []string{"community", "add", "NATO", "USA"}, "built in"},
		{"community: no members", "", []string{"community", "add", "EMPTY"}, "at least one member"},
		{"community set: unknown community", "", []string{"community", "set", "NOPE", "USA"}, "NOPE"},
		{"agreement: malformed date", "", []string{"agreement", "add", "--partner", "JPN", "--kind", "security", "--max-classification", "NATO SECRET", "--from", "25/06/2010"}, "--from \"25/06/2010\" is not a date"},
		{"agreement: unknown classification", "", []string{"agreement", "add", "--partner", "JPN", "--kind", "security", "--max-classification", "TOP SECRET"}, "classification \"TOP SECRET\" is unknown"},
		{"agreement: unknown partner", "", []string{"agreement", "add", "--partner", "XYZ", "--kind", "security", "--max-classification", "NATO SECRET"}, "XYZ"},
		{"agreement: with an ally", "", []string{"agreement", "add", "--partner", "FRA", "--kind", "security", "--max-classification", "NATO SECRET"}, "FRA"},
		{"agreement: ends before it starts", "", []string{"agreement", "add", "--partner", "JPN", "--kind", "programme", "--name", "X", "--from", "2026-01-01", "--until", "2025-01-01"}, "ends (2025-01-01) before it starts"},
		{"agreement end: unknown id", "", []string{"agreement", "end", "999"}, "not found"},
		{"user: duplicate", "another passphrase\n", []string{"user", "add", "akiko", "--org", "JPN"}, "akiko"},
		{"user: unknown organisation", "good passphrase\n", []string{"user", "add", "bob", "--org", "XYZ"}, "XYZ"},
		{"user: unknown role", "good passphrase\n", []string{"user", "add", "bob", "--org", "FRA", "--role", "king"}, "role \"king\" is unknown"},
		{"user: empty password", "\n", []string{"user", "add", "bob", "--org", "FRA"}, "empty password"},
		{"user: short password", "abc\n", []string{"user", "add", "bob", "--org", "FRA"}, "too short"},
		{"token: unknown user", "", []string{"token", "create", "--user", "nobody"}, "nobody"},
		{"token: revoke unknown", "", []string{"token", "revoke", "nope"}, "not found"},
		{"collection: no read list", "", []string{"collection", "add", "--title", "T", "--topic", "cyber"}, "read list"},
		{"collection: unknown reader", "", []string{"collection", "add", "--title", "T", "--topic", "cyber", "--read", "XYZ"}, "XYZ"},
		{"collection: unknown default marking", "", []string{"collection", "add", "--title", "T", "--topic", "cyber", "--read", "NATO", "--default-marking", "marking-definition--00000000-0000-4000-8000-000000000000"}, "marking-definition--00000000-0000-4000-8000-000000000000"},
		{"import: no user", "", []string{"import", "x.json"}, "want --as USER"},
		{"import: missing file", "", []string{"import", "--as", "akiko", "/nonexistent.json"}, ""},
		{"export: unknown user", "", []string{"export", "--as", "nobody"}, "nobody"},
		{"export: bad timestamp", "", []string{"export", "--as", "akiko", "--added-after", "yesterday"}, "not an RFC 3339 timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(tt.stdin, tt.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 && !strings.Contains(r.stderr, "\n  ") {
				t.Errorf("want a one-line message, got %d lines: %q", n+1, r.stderr)
			}
		})
	}
	if after := snapshot(); after != before {
		t.Errorf("a failed command changed the store:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestMissingStore(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"org", "list"}, {"serve"}, {"user", "list"}, {"import", "--as", "x", "f.json"}} {
		r := c.run("", args...)
		if r.code != 2 || !strings.Contains(r.stderr, "no store at") || !strings.Contains(r.stderr, "liaison init") {
			t.Errorf("liaison %s on a missing store: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if _, err := os.Stat(c.data); !os.IsNotExist(err) {
		t.Errorf("a command on a missing store created %s", c.data)
	}
}

func TestHelp(t *testing.T) {
	c := newCLI(t)
	r := c.must("", "help")
	for _, want := range []string{"init", "serve", "demo", "org add", "community add", "agreement add", "user add", "token create", "token revoke", "collection add", "collection list", "import", "export"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, cmd := range commands {
		name := cmd.name
		args := append(strings.Fields(name), "-h")
		r := c.run("", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: liaison "+name) || !strings.Contains(r.stdout, "Example:") {
			t.Errorf("liaison %s -h: exit %d, stdout %q", name, r.code, r.stdout)
		}
	}
}

func TestInitBadInputLeavesNothing(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"init", "--org", "bad code"}, {"init", "--admin", "no spaces allowed"}, {"init", "--tz", "Nowhere/Else"}} {
		r := c.run("", args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.stderr)
		}
		if _, err := os.Stat(c.data); !os.IsNotExist(err) {
			t.Errorf("%v left %s behind", args, c.data)
		}
	}
	// A clash found only once the store exists (the office code is also a
	// nation's) rolls the whole init back.
	r := c.run("", "init", "--org", "FRA", "--nations")
	if r.code != 2 {
		t.Fatalf("init --org FRA --nations: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(c.data); !os.IsNotExist(err) {
		t.Errorf("a failed init left %s behind", c.data)
	}
}
