package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison/audit"
	"liaison/sqlite"
)

// TestAuditEndToEnd serves the demo office, reads and fails to sign in
// over HTTP, and then checks with the audit commands that the reads, the
// failed sign-in and the checkpoint are there, that verify passes, and
// that it fails, naming the entry, once an entry is changed in the
// database file.
func TestAuditEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "office")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: &lockedWriter{w: &errb}, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"demo", "--addr", "127.0.0.1:0", "--data", data})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	re := regexp.MustCompile(`open at (http://127\.0\.0\.1:\d+/)`)
	var base string
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.Contains(sc.Text(), "Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("demo printed no address; stderr:\n%s", errb.String())
	}
	get := func(path, user, password string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+strings.TrimPrefix(path, "/"), nil)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	reports := func(user string) []string {
		t.Helper()
		code, b := get("/taxii2/tokyo/collections/"+demoGeopolitical+"/objects/?match[type]=report", user, user+"-demo")
		if code != 200 {
			t.Fatalf("TAXII read as %s: %d %s", user, code, b)
		}
		var env struct{ Objects []struct{ ID string } }
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range env.Objects {
			ids = append(ids, o.ID)
		}
		return ids
	}
	jpn, kor := reports("jpn-analyst"), reports("kor-analyst")
	var onlyJPN string
	for _, id := range jpn {
		if !slices.Contains(kor, id) {
			onlyJPN = id
		}
	}
	if onlyJPN == "" {
		t.Fatalf("no report that JPN reads and KOR does not: %v, %v", jpn, kor)
	}
	if code, _ := get("/api/v1/consultations", "nzl-reader", "wrong-password"); code != 401 {
		t.Fatalf("a wrong password: %d", code)
	}
	if code, _ := get("/audit/checkpoint", "", ""); code != 401 {
		t.Fatalf("the checkpoint without signing in: %d, want 401", code)
	}
	// Only admins read the checkpoint (its size counts the office's
	// activity); anyone else finds no such page.
	if code, b := get("/audit/checkpoint", "kor-analyst", "kor-analyst-demo"); code != 404 || !bytes.Equal(b, []byte("404 page not found\n")) {
		t.Fatalf("the checkpoint for an analyst: %d %q, want the 404 of a path that does not exist", code, b)
	}
	// The first batch is signed as soon as it is appended.
	var note []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, b := get("/audit/checkpoint", "admin", "admin-demo")
		if code == 200 {
			note = b
			break
		}
		if code != 404 || time.Now().After(deadline) {
			t.Fatalf("checkpoint: %d %s", code, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo exited %d:\n%s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not shut down")
	}

	c := &cli{t: t, data: data}
	key := strings.TrimSpace(c.must("", "audit", "key").stdout)
	k, err := audit.LoadKey(data)
	if err != nil || k.VerifierKey != key {
		t.Fatalf("audit key printed %q; the key file holds %v (%v)", key, k, err)
	}
	if _, err := audit.OpenCheckpoint(note, k.Verifier); err != nil {
		t.Fatalf("the served checkpoint does not verify with the printed key: %v\n%s", err, note)
	}
	if r := c.must("", "audit", "verify", "--key", key); !strings.Contains(r.stdout, "OK") {
		t.Fatalf("verify: %s", r.stdout)
	}
	who := c.must("", "audit", "who-received", onlyJPN).stdout
	if !strings.Contains(who, "jpn-analyst (JPN) via taxii Objects") || strings.Contains(who, "kor-analyst") {
		t.Fatalf("who-received %s:\n%s", onlyJPN, who)
	}
	failed := c.must("", "audit", "log", "--action", "sign-in-failed").stdout
	if !strings.Contains(failed, "nzl-reader sign-in-failed Authenticate via api") {
		t.Fatalf("the failed sign-in is not in the log:\n%s", failed)
	}
	export := c.must("", "audit", "export", "--org", "KOR", "--format", "jsonl").stdout
	for _, line := range strings.Split(strings.TrimSpace(export), "\n") {
		var en struct {
			Index int64
			Org   string
		}
		if err := json.Unmarshal([]byte(line), &en); err != nil || en.Org != "KOR" {
			t.Fatalf("export line %q: %v", line, err)
		}
	}
	prove := c.must("", "audit", "prove", "0")
	if !strings.Contains(prove.stdout, "checkpoint:\nliaison/NATO-LO-TOKYO/audit\n") {
		t.Fatalf("prove: %s", prove.stdout)
	}

	// Change an entry in the database file, as its owner could.
	db, err := sql.Open("sqlite", filepath.Join(data, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'jpn-analyst', 'usa-analyst') AS BLOB) WHERE principal = 'jpn-analyst'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := c.run("", "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL entry ") || !strings.Contains(r.stderr, "the first is at entry ") {
		t.Fatalf("verify of a changed log: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestAuditOfCommands: the operator's commands are recorded, and signed
// with the key init made, so verify passes right after them.
func TestAuditOfCommands(t *testing.T) {
	c, _ := initialised(t)
	c.must("", "user", "add", "jpn-reader", "--org", "JPN", "--no-password")
	c.must("", "token", "create", "--user", "jpn-reader")
	log := c.must("", "audit", "log").stdout
	for _, want := range []string{"operator user CreateUser via command: user jpn-reader of JPN as reader", "operator token-create CreateToken via command"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %q:\n%s", want, log)
		}
	}
	r := c.must("", "audit", "verify")
	if !strings.Contains(r.stdout, "0 entries not yet under a checkpoint") {
		t.Fatalf("the commands' entries are not signed: %s", r.stdout)
	}
}
