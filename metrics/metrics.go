// Package metrics exposes the office's Prometheus metrics: HTTP requests
// by route pattern and status, the duration of every store operation,
// the fate of every object written, audience recomputes, and the SQLite
// store's group commits. It wraps what it measures (a handler, a store)
// and never changes what they do.
package metrics

import (
	"net/http"
	"time"

	"liaison/internal/route"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The names of the metrics, for the README and the tests.
const (
	HTTPRequestDuration    = "liaison_http_request_duration_seconds"
	HTTPRequestsInFlight   = "liaison_http_requests_in_flight"
	StoreOperationDuration = "liaison_store_operation_duration_seconds"
	ObjectWrites           = "liaison_object_writes_total"
	AudienceRecompute      = "liaison_audience_recompute_duration_seconds"
	SQLiteGroupCommits     = "liaison_sqlite_group_commits_total"
	SQLiteGroupCommitCalls = "liaison_sqlite_group_commit_calls_total"
	SQLiteGroupWriterBusy  = "liaison_sqlite_group_writer_busy_seconds_total"
)

// Label values.
const (
	unmatchedRoute    = "unmatched" // no noted handler served the request
	outcomeOK         = "ok"        // else the liaison error code
	resultWritten     = "written"
	resultPresent     = "present"
	resultConflicting = "conflicting"
	resultRejected    = "rejected"
)

// recomputing are the store methods that recompute every stored audience.
var recomputing = []string{"CreateOrganisation", "CreateCommunity", "SetCommunityMembers", "CreateAgreement", "UpdateAgreement", "RecomputeAudiences"}

// Histogram buckets: ten, each four times the last, from 100 µs (up to
// 26 s) for store calls and from 1 ms (up to 262 s) for recomputes, which
// rewrite every stored audience.
const (
	storeBucketsStart     = 0.0001
	recomputeBucketsStart = 0.001
	bucketFactor          = 4
	bucketCount           = 10
)

// Metrics holds the office's collectors in a registry of its own.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	storeOps   *prometheus.HistogramVec
	objects    *prometheus.CounterVec
	recomputes *prometheus.HistogramVec
}

// New makes the collectors and registers them, with the Go runtime's and
// the process's, in a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    HTTPRequestDuration,
			Help:    "HTTP requests served, by the ServeMux pattern that served them and the status code, and how long each took.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: HTTPRequestsInFlight,
			Help: "HTTP requests being served now.",
		}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    StoreOperationDuration,
			Help:    "Calls of the store's methods, by method and outcome (ok or the error code), and how long each took.",
			Buckets: prometheus.ExponentialBuckets(storeBucketsStart, bucketFactor, bucketCount),
		}, []string{"operation", "outcome"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: ObjectWrites,
			Help: "Objects sent to the store's AddObjects, by result: written (a new version), present (stored already, same content), conflicting (stored already, other content) or rejected.",
		}, []string{"result"}),
		recomputes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    AudienceRecompute,
			Help:    "Directory changes and explicit recomputes, each of which recomputes every stored audience in one transaction, by method and outcome, and how long each took.",
			Buckets: prometheus.ExponentialBuckets(recomputeBucketsStart, bucketFactor, bucketCount),
		}, []string{"operation", "outcome"}),
	}
	for _, r := range []string{resultWritten, resultPresent, resultConflicting, resultRejected} {
		m.objects.WithLabelValues(r) // a series at 0 from the start, so rate() sees the first objects
	}
	for _, op := range recomputing {
		m.recomputes.WithLabelValues(op, outcomeOK) // series from the start, as for objects
	}
	m.reg.MustRegister(m.requests, m.inFlight, m.storeOps, m.objects, m.recomputes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry that holds the metrics, for tests and for
// collectors of other parts of the office.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Instrument wraps the office's whole HTTP handler: every request is
// counted and timed by the pattern of the route that served it (noted by
// route.Note on each mux's handlers), never by its raw path, so that the
// number of series stays bounded whatever clients send. A request that
// no noted handler served is labelled "unmatched".
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	timed := promhttp.InstrumentHandlerInFlight(m.inFlight,
		promhttp.InstrumentHandlerDuration(m.requests, next, promhttp.WithLabelFromRequest("route", func(r *http.Request) string {
			if p := route.Of(r.Context()).Pattern(); p != "" {
				return p
			}
			return unmatchedRoute
		})))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, _ := route.Track(r.Context())
		timed.ServeHTTP(w, r.WithContext(ctx))
	})
}

// GroupCommitter is a store that gathers concurrent object writes into
// shared transactions (the SQLite store) and counts them.
type GroupCommitter interface {
	// GroupCommits returns the transactions committed by the group
	// writer, and the AddObjects calls they carried.
	GroupCommits() (groups, calls int64)
	// GroupWriterBusy returns the time the group writer has spent
	// writing groups.
	GroupWriterBusy() time.Duration
}

// WatchGroupCommits exports g's counters. Call it once per registry.
func (m *Metrics) WatchGroupCommits(g GroupCommitter) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: SQLiteGroupCommits,
			Help: "Transactions committed by the SQLite store's group writer, each carrying one or more AddObjects calls.",
		}, func() float64 { groups, _ := g.GroupCommits(); return float64(groups) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: SQLiteGroupCommitCalls,
			Help: "AddObjects calls carried by the SQLite store's group commits; divided by " + SQLiteGroupCommits + ", the mean group size.",
		}, func() float64 { _, calls := g.GroupCommits(); return float64(calls) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: SQLiteGroupWriterBusy,
			Help: "Seconds the SQLite store's single writer has spent writing group commits; its rate is the writer's utilisation (1: always busy).",
		}, func() float64 { return g.GroupWriterBusy().Seconds() }),
	)
}
