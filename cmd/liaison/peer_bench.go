package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"time"

	"liaison"
	"liaison/federation"
	"liaison/sqlite"
	"liaison/stix"
)

// The federation benchmark of `liaison bench --federation SIZE`: SIZE
// objects posted over TAXII to one SQLite office (the local ingest rate),
// then pulled from it by a second SQLite office over the peer endpoint
// (the federation rate), and a sync of 10 collections with nothing new.
// Both offices are real stores behind real HTTP on loopback.

type fedBench struct {
	Objects      int
	Ingest       time.Duration
	Federate     time.Duration
	NoopSync     time.Duration
	NoopRequests int64
	Collections  int
}

func (b fedBench) rate(d time.Duration) float64 { return float64(b.Objects) / d.Seconds() }

func (b fedBench) markdown(w io.Writer) {
	fmt.Fprintf(w, "| federation, SQLite to SQLite | %d objects |\n|---|---|\n", b.Objects)
	fmt.Fprintf(w, "| local TAXII ingest | %.0f objects/s (%s) |\n", b.rate(b.Ingest), b.Ingest.Round(time.Millisecond))
	fmt.Fprintf(w, "| federation pull | %.0f objects/s (%s), %.2f× the ingest rate |\n", b.rate(b.Federate), b.Federate.Round(time.Millisecond), b.rate(b.Federate)/b.rate(b.Ingest))
	fmt.Fprintf(w, "| sync with nothing new, %d collections | %s, %d requests |\n", b.Collections, b.NoopSync.Round(time.Microsecond), b.NoopRequests)
}

// benchObject is the i-th object of the benchmark: an indicator, every
// third one released to JPN by a hub marking, every fifth TLP:AMBER.
func benchObject(i int) string {
	refs := ""
	switch {
	case i%3 == 0:
		refs = `,"object_marking_refs":["marking-definition--be0c0000-0000-4000-8000-000000000001"]`
	case i%5 == 0:
		refs = `,"object_marking_refs":["` + liaison.TLPAmberID + `"]`
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-be0c-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"benchmark indicator %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`,
		i, i, (i>>16)&255, (i>>8)&255, i&255, refs)
}

const benchMarking = `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--be0c0000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","name":"REL TO NATO, JPN","extensions":{"extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21":{"extension_type":"property-extension","releasable_to":["NATO","JPN"]}}}`

// benchOffice makes an SQLite office with USA, FRA and JPN, collections
// of the given ids and a USA analyst's token.
func benchOffice(ctx context.Context, dir string, colls []string) (*sqlite.Store, string, error) {
	s, err := sqlite.Open(ctx, dir, sqlite.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, "", err
	}
	for _, o := range []liaison.Organisation{{Code: "USA", Name: "USA", Kind: liaison.Ally}, {Code: "FRA", Name: "FRA", Kind: liaison.Ally},
		{Code: "JPN", Name: "JPN", Kind: liaison.Partner}, {Code: "NATO-LO", Name: "Liaison office", Kind: liaison.NATOBody}} {
		if err := s.CreateOrganisation(ctx, o); err != nil {
			return nil, "", err
		}
	}
	p := liaison.Principal{Name: "bench", Org: "USA", Roles: []liaison.Role{liaison.RoleAnalyst}}
	if err := s.CreateUser(ctx, &p, ""); err != nil {
		return nil, "", err
	}
	_, tok, err := s.CreateToken(ctx, "bench")
	if err != nil {
		return nil, "", err
	}
	for _, id := range colls {
		if err := s.CreateCollection(ctx, &liaison.Collection{ID: id, Title: id, Topic: "cyber", Read: []string{"ALL"}, Write: []string{"ALL"}}); err != nil {
			return nil, "", err
		}
	}
	return s, tok, nil
}

// countingTransport counts requests.
type countingTransport struct {
	n    int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func benchCollection(i int) string { return fmt.Sprintf("be0c%04x-0000-4000-8000-000000000000", i) }

func runFedBench(ctx context.Context, work string, n int) (fedBench, error) {
	const ncoll = 10
	res := fedBench{Objects: n, Collections: ncoll}
	colls := make([]string, ncoll)
	for i := range colls {
		colls[i] = benchCollection(i)
	}
	src, tok, err := benchOffice(ctx, filepath.Join(work, "fed-source"), colls)
	if err != nil {
		return res, err
	}
	defer src.Close()
	dst, _, err := benchOffice(ctx, filepath.Join(work, "fed-pulling"), colls)
	if err != nil {
		return res, err
	}
	defer dst.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	office := liaison.Organisation{Code: "NATO-LO", Name: "Liaison office", Kind: liaison.NATOBody}
	h, err := newHandler(src, src, office, quiet, nil)
	if err != nil {
		return res, err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// Local ingest: envelopes of 1,000 over TAXII, one after another, the
	// first collection taking every object.
	post := func(objs []string) error {
		body := `{"objects":[` + strings.Join(objs, ",") + `]}`
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+taxiiAPIRoot+"collections/"+colls[0]+"/objects/", bytes.NewBufferString(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusAccepted || bytes.Contains(b, []byte(`"failure_count":`)) && !bytes.Contains(b, []byte(`"failure_count":0`)) {
			return fmt.Errorf("bench: TAXII ingest answered %d: %.300s", resp.StatusCode, b)
		}
		return nil
	}
	if err := post([]string{benchMarking}); err != nil {
		return res, err
	}
	start := time.Now()
	batch := make([]string, 0, 1000)
	for i := range n {
		batch = append(batch, benchObject(i))
		if len(batch) == cap(batch) || i == n-1 {
			if err := post(batch); err != nil {
				return res, err
			}
			batch = batch[:0]
		}
	}
	res.Ingest = time.Since(start)
	// One small object in each other collection, so that each has a
	// cursor to keep.
	u, err := src.User(ctx, "bench")
	if err != nil {
		return res, err
	}
	for i, c := range colls[1:] {
		cand, err := stix.Decode(0, []byte(benchObject(n+i)))
		if err != nil {
			return res, err
		}
		if r, err := src.AddObjects(ctx, u, c, []liaison.Candidate{cand}); err != nil || len(r.Rejected) > 0 {
			return res, fmt.Errorf("bench: write collection %s: %v %+v", c, err, r.Rejected)
		}
	}

	secret, err := src.AllowPeer(ctx, "pulling", []string{"NATO", "JPN"})
	if err != nil {
		return res, err
	}
	pull := liaison.PeerPull{Name: "source", URL: srv.URL + taxiiAPIRoot, Token: secret}
	for _, c := range colls {
		pull.Collections = append(pull.Collections, liaison.PeerCollection{Remote: c, Local: c})
	}
	if err := dst.AddPeerPull(ctx, pull); err != nil {
		return res, err
	}
	ct := &countingTransport{next: http.DefaultTransport}
	p := &federation.Puller{Store: dst, Log: quiet, Client: &http.Client{Transport: ct, Timeout: 5 * time.Minute}}
	start = time.Now()
	rep, err := p.Sync(ctx, "source")
	if err != nil {
		return res, err
	}
	res.Federate = time.Since(start)
	if want := 1 + n + ncoll - 1; rep.Written != want {
		return res, fmt.Errorf("bench: the pull wrote %d objects, want %d", rep.Written, want)
	}
	ct.n = 0
	start = time.Now()
	rep, err = p.Sync(ctx, "source")
	if err != nil {
		return res, err
	}
	res.NoopSync, res.NoopRequests = time.Since(start), ct.n
	if rep.Written != 0 {
		return res, fmt.Errorf("bench: a sync with nothing new wrote %d", rep.Written)
	}
	return res, nil
}
