package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"liaison/stix"
)

// mediaType is TAXII 2.1's. The package speaks TAXII itself rather than
// through liaison/taxii, so that package's own benchmarks may use the
// generator.
const mediaType = "application/taxii+json;version=2.1"

// client speaks just enough TAXII 2.1 over HTTP to time the server: it
// reads each response whole but parses only what it must, so the time
// measured is the server's and the transport's, not a JSON decoder's.
type client struct {
	http *http.Client
	root string // API root URL, ending in /
	coll string // collection URL, ending in /
}

// newClient returns a client of the collection under the API root. A
// non-nil local address makes it connect from there (another loopback
// address stands for another machine).
func newClient(root, collection string, local net.Addr) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, LocalAddr: local}).DialContext,
		MaxIdleConns:        128,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{
		http: &http.Client{Transport: tr, Timeout: 10 * time.Minute},
		root: root,
		coll: root + "collections/" + url.PathEscape(collection) + "/",
	}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// response is one timed exchange.
type response struct {
	status  int
	body    []byte
	elapsed time.Duration // from sending the request to reading the whole body
}

func (c *client) do(ctx context.Context, method, u, token string, body []byte) (response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Accept", mediaType)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	el := time.Since(start)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read body: %w", method, u, err)
	}
	return response{status: resp.StatusCode, body: b, elapsed: el}, nil
}

// get fetches a URL and fails unless it answers 200.
func (c *client) get(ctx context.Context, u, token string) (response, error) {
	r, err := c.do(ctx, http.MethodGet, u, token, nil)
	if err != nil {
		return r, err
	}
	if r.status != http.StatusOK {
		return r, fmt.Errorf("GET %s: status %d: %s", u, r.status, clip(r.body))
	}
	return r, nil
}

// post sends one envelope and checks every object was stored.
func (c *client) post(ctx context.Context, token string, envelope []byte, n int) error {
	r, err := c.do(ctx, http.MethodPost, c.coll+"objects/", token, envelope)
	if err != nil {
		return err
	}
	if r.status != http.StatusAccepted {
		return fmt.Errorf("POST objects: status %d: %s", r.status, clip(r.body))
	}
	var st struct {
		SuccessCount int `json:"success_count"`
		FailureCount int `json:"failure_count"`
		Failures     []struct {
			ID      string `json:"id"`
			Message string `json:"message"`
		} `json:"failures"`
	}
	if err := json.Unmarshal(r.body, &st); err != nil {
		return fmt.Errorf("POST objects: status resource: %w", err)
	}
	if st.FailureCount > 0 {
		msg := ""
		if len(st.Failures) > 0 {
			msg = st.Failures[0].ID + ": " + st.Failures[0].Message
		}
		return fmt.Errorf("POST objects: %d of %d objects failed, first: %s", st.FailureCount, n, msg)
	}
	if st.SuccessCount != n {
		return fmt.Errorf("POST objects: %d successes for %d objects", st.SuccessCount, n)
	}
	return nil
}

// discover reads the discovery resource and returns the default API root,
// else the first listed, as an absolute URL ending in /.
func discover(ctx context.Context, c *client, discoveryURL, token string) (string, error) {
	r, err := c.get(ctx, discoveryURL, token)
	if err != nil {
		return "", err
	}
	var d struct {
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	if err := json.Unmarshal(r.body, &d); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	root := d.Default
	if root == "" && len(d.APIRoots) > 0 {
		root = d.APIRoots[0]
	}
	if root == "" {
		return "", fmt.Errorf("discovery lists no API root")
	}
	base, err := url.Parse(discoveryURL)
	if err != nil {
		return "", err
	}
	ref, err := url.Parse(root)
	if err != nil {
		return "", fmt.Errorf("discovery: API root %q: %w", root, err)
	}
	return dir(base.ResolveReference(ref).String()), nil
}

// objectsURL is the URL of a page of objects (or of the manifest).
func (c *client) objectsURL(resource string, limit int, after time.Time, next string) string {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", fmt.Sprint(limit))
	}
	if !after.IsZero() {
		v.Set("added_after", after.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	if next != "" {
		v.Set("next", next)
	}
	u := c.coll + resource + "/"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// envelopeNext returns the envelope's more and next. This server writes
// them first, so the prefix usually tells; otherwise the body is decoded.
func envelopeNext(body []byte) (bool, string, error) {
	const prefix = `{"more":true,"next":"`
	if bytes.HasPrefix(body, []byte(prefix)) {
		rest := body[len(prefix):]
		if i := bytes.IndexByte(rest, '"'); i >= 0 && !bytes.Contains(rest[:i], []byte(`\`)) {
			return true, string(rest[:i]), nil
		}
	}
	var env struct {
		More bool   `json:"more"`
		Next string `json:"next"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return false, "", fmt.Errorf("envelope: %w", err)
	}
	return env.More, env.Next, nil
}

// countObjects counts the objects of an envelope with the streaming reader.
func countObjects(body []byte) (int, error) {
	rd := stix.NewReader(bytes.NewReader(body))
	n := 0
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
