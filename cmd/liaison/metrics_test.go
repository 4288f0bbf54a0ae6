package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"liaison/metrics"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serving is a `liaison serve` run in-process, and the addresses it logged.
type serving struct {
	base, metrics string // http://HOST:PORT/ and http://HOST:PORT/metrics
}

// startServe runs `liaison serve` with args on c's store until the test
// ends, and waits for it to log where it listens.
func startServe(t *testing.T, c *cli, args ...string) serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb strings.Builder
	lw := &lockedWriter{w: &errb}
	e := &env{stdin: strings.NewReader(""), stdout: lw, stderr: lw, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, append([]string{"serve", "--data", c.data, "--addr", "127.0.0.1:0"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d", code)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	officeRE := regexp.MustCompile(`msg="office open".* url=(http://\S+/) `)
	metricsRE := regexp.MustCompile(`msg="metrics open" url=(http://\S+/metrics)`)
	var s serving
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		lw.mu.Lock()
		log := errb.String()
		lw.mu.Unlock()
		if m := officeRE.FindStringSubmatch(log); m != nil {
			s.base = m[1]
		}
		if m := metricsRE.FindStringSubmatch(log); m != nil {
			s.metrics = m[1]
		}
		if s.base != "" && s.metrics != "" {
			return s
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d:\n%s", code, log)
		default:
		}
	}
	t.Fatalf("serve did not log its addresses: %+v", s)
	return s
}

// scrape reads the metrics over HTTP and parses them with Prometheus's
// own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("scrape: not the Prometheus text format: %v", err)
	}
	return fams
}

// sample is one series' value: a counter's, or a histogram's count.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		if h := m.GetHistogram(); h != nil {
			return float64(h.GetSampleCount())
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

// TestMetricsEndpoint runs `liaison serve --metrics-addr`, sends a few
// requests, and checks over real HTTP that the route, store, object and
// group-commit metrics moved by exactly what those requests did, and that
// no raw path became a label.
func TestMetricsEndpoint(t *testing.T) {
	c, token := initialised(t)
	collID := strings.TrimSpace(c.must("", "collection", "add", "--title", "Cyber", "--topic", "cyber", "--read", "NATO", "--write", "NATO").stdout)
	collID = regexp.MustCompile(`[0-9a-f-]{36}`).FindString(collID)
	if collID == "" {
		t.Fatal("collection add printed no id")
	}
	s := startServe(t, c, "--metrics-addr", "127.0.0.1:0")
	before := scrape(t, s.metrics)

	do := func(method, path, accept, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+strings.TrimPrefix(path, "/"), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if body != "" {
			req.Header.Set("Content-Type", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, path, res.StatusCode, want)
		}
	}
	const taxiiMT = "application/taxii+json;version=2.1"
	for range 3 {
		do("GET", "/api/v1/whoami", "", "", 200)
	}
	do("GET", "/api/v1/proposals/999", "", "", 404)
	do("GET", "/api/v1/proposals/998", "", "", 404)
	do("GET", "/api/v1/nowhere/at-all", "", "", 404)
	do("GET", "/healthz", "", "", 200)
	objects := taxiiAPIRoot + "collections/" + collID + "/objects/"
	do("POST", objects, taxiiMT, `{"objects":[{"type":"malware","spec_version":"2.1","id":"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"2024-06-01T00:00:00.000Z","modified":"2024-06-01T00:00:00.000Z","name":"LanternLoader","is_family":false}]}`, 202)
	do("GET", objects, taxiiMT, "", 200)

	// A request is observed once its handler has returned, which may be
	// just after the client has read the response: wait until the last
	// request shows, then take the figures.
	var after map[string]*dto.MetricFamily
	lastRoute := map[string]string{"route": "GET " + taxiiAPIRoot + "collections/{collection}/objects/{$}", "code": "200"}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = scrape(t, s.metrics)
		if sample(after, metrics.HTTPRequestDuration, lastRoute) > sample(before, metrics.HTTPRequestDuration, lastRoute) || time.Now().After(deadline) {
			break
		}
	}
	route := func(pattern, code string) map[string]string { return map[string]string{"route": pattern, "code": code} }
	op := func(name, outcome string) map[string]string {
		return map[string]string{"operation": name, "outcome": outcome}
	}
	tests := []struct {
		name    string
		labels  map[string]string
		want    float64 // the increase, or at least this much when atLeast
		atLeast bool
	}{
		{metrics.HTTPRequestDuration, route("GET /api/v1/whoami", "200"), 3, false},
		{metrics.HTTPRequestDuration, route("GET /api/v1/proposals/{id}", "404"), 2, false},
		{metrics.HTTPRequestDuration, route("/api/", "404"), 1, false},
		{metrics.HTTPRequestDuration, route("GET /healthz", "200"), 1, false},
		{metrics.HTTPRequestDuration, route("POST "+taxiiAPIRoot+"collections/{collection}/objects/{$}", "202"), 1, false},
		{metrics.HTTPRequestDuration, route("GET "+taxiiAPIRoot+"collections/{collection}/objects/{$}", "200"), 1, false},
		{metrics.StoreOperationDuration, op("Proposal", "not_found"), 2, false},
		{metrics.StoreOperationDuration, op("Organisations", "ok"), 1, false},
		{metrics.StoreOperationDuration, op("AddObjectsWithStatus", "ok"), 1, false},
		{metrics.StoreOperationDuration, op("Objects", "ok"), 1, false},
		{metrics.StoreOperationDuration, op("SaveStatus", "ok"), 0, false}, // saved with the objects
		{metrics.ObjectWrites, map[string]string{"result": "written"}, 1, false},
		{metrics.ObjectWrites, map[string]string{"result": "rejected"}, 0, false},
		{metrics.SQLiteGroupCommits, nil, 1, false},
		{metrics.SQLiteGroupCommitCalls, nil, 1, false},
		{metrics.SQLiteGroupWriterBusy, nil, 0, true},
	}
	for _, tc := range tests {
		got := sample(after, tc.name, tc.labels) - sample(before, tc.name, tc.labels)
		if got != tc.want && !(tc.atLeast && got >= tc.want) {
			t.Errorf("%s%v rose by %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	for _, m := range after[metrics.HTTPRequestDuration].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "999") || strings.Contains(l.GetValue(), "nowhere") || strings.Contains(l.GetValue(), collID) {
				t.Errorf("a raw path became a label: %s=%q", l.GetName(), l.GetValue())
			}
		}
	}
	for _, name := range []string{metrics.HTTPRequestsInFlight, metrics.AudienceRecompute, "go_goroutines", "process_cpu_seconds_total"} {
		if after[name] == nil {
			t.Errorf("no %s in the scrape", name)
		}
	}
}

// TestMetricsAddrInUse: a --metrics-addr that cannot be listened on is
// the caller's mistake, a one-line message and exit 2.
func TestMetricsAddrInUse(t *testing.T) {
	c, _ := initialised(t)
	s := startServe(t, c, "--metrics-addr", "127.0.0.1:0")
	taken := strings.TrimSuffix(strings.TrimPrefix(s.metrics, "http://"), "/metrics")
	r := c.run("", "serve", "--addr", "127.0.0.1:0", "--metrics-addr", taken)
	if r.code != 2 || !strings.Contains(r.stderr, "--metrics-addr") {
		t.Fatalf("exit %d, stderr %q; want 2 naming --metrics-addr", r.code, r.stderr)
	}
}
