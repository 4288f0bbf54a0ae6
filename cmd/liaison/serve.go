package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/auth"
	"liaison/federation"
	"liaison/internal/httpguard"
	"liaison/internal/route"
	"liaison/match"
	"liaison/metrics"
	"liaison/taxii"
	"liaison/web"
)

// Server limits. Request bodies beyond maxBody are refused; TAXII
// advertises the same limit as max_content_length.
const (
	maxBody           = 64 << 20
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownGrace     = 15 * time.Second
	taxiiDiscovery    = "/taxii2/"
	taxiiRootName     = "tokyo"
	taxiiAPIRoot      = taxiiDiscovery + taxiiRootName + "/"
)

// serveFlags are the flags of serve and demo, the commands that run the
// office.
type serveFlags struct {
	addr, tlsCert, tlsKey, metricsAddr, decay string
	peerInterval                              time.Duration
}

func (o *serveFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "the address to listen on, HOST:PORT")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate file (PEM)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "the private key for --tls-cert (PEM)")
	fs.StringVar(&o.decay, "decay", "", "indicator decay over the defaults, as key=value pairs: base=100,speed=0.5,threshold=20,other=365d and a lifetime per SCO type such as ipv4-addr=60d,url=180d")
	fs.DurationVar(&o.peerInterval, "peer-interval", federation.DefaultInterval, "how often to pull from each peer office configured with `liaison peer pull` (a failing peer waits longer, doubling up to an hour)")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://HOST:PORT/metrics, on an address of their own such as 127.0.0.1:9090 (plain HTTP, no login: keep it off public networks); off when empty")
}

type serveCmd struct{ serveFlags }

func (o *serveCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		return serve(ctx, e, o.serveFlags, s, st.data, nil)
	})
}

// newHandler wires the office's HTTP surface: TAXII under /taxii2/, the
// JSON API under /api/v1/, the pages, and the peer endpoint for other
// offices below the API root (when peers is not nil); with aud, the audit
// checkpoint at /audit/checkpoint, and each request's path marked for the
// audit. It fails when s lacks a service the pages need. decay, if given,
// scores indicators on the pages (default match.DefaultDecay).
func newHandler(s liaison.Store, peers liaison.PeerService, office liaison.Organisation, log *slog.Logger, aud *auditing, decay ...match.Decay) (http.Handler, error) {
	var d match.Decay
	if len(decay) > 0 {
		d = decay[0]
	}
	authn := auth.New(s, auth.Options{Logger: log})
	tx := taxii.NewServer(s, authn, taxii.Config{
		Title:            office.Name + " TAXII 2.1",
		Description:      "Threat information shared by " + office.Name + ", filtered for each reader by releasability.",
		Contact:          office.Name,
		APIRoot:          taxiiRootName,
		MaxContentLength: maxBody,
		Logger:           log,
	})
	svc := web.Services{Store: s, Consultations: s, Decisions: s, Peers: peers}
	if aud != nil {
		svc.Audit = aud.db
	}
	pages, err := web.NewServer(svc, authn, web.Config{Office: office, TAXIIPath: taxiiDiscovery, APIRoot: taxiiAPIRoot, Logger: log, Decay: d, MaxUpload: maxBody - 1<<20})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/taxii2/", route.Note(tx))
	if peers != nil {
		ps := federation.NewServer(peers, taxiiAPIRoot+federation.PeerPath, log)
		if aud != nil && aud.key != nil {
			ps.Audit = aud.peerLog()
		}
		mux.Handle(taxiiAPIRoot+federation.PeerPath, route.Note(ps))
	}
	mux.Handle("/", route.Note(pages))
	var h http.Handler = mux
	if aud != nil {
		aud.routes(mux, func(h http.Handler) http.Handler { return route.Note(authn.Middleware(h)) }, log)
		h = audit.Paths(mux)
	}
	return logRequests(log, limitBody(h)), nil
}

// serve runs the HTTP server until ctx ends, then shuts down gracefully.
// ready, if not nil, is called with the bound address once listening.
// The audit signing key is kept in keyDir.
func serve(ctx context.Context, e *env, o serveFlags, s liaison.Store, keyDir string, ready func(addr string)) error {
	office, err := officeOf(ctx, s)
	if err != nil {
		return err
	}
	aud, err := startAudit(e, s, keyDir, office)
	if err != nil {
		return err
	}
	// Closed when serve returns, before the store: the last batch is
	// appended and a last checkpoint signed.
	defer func() {
		if err := aud.log.Close(); err != nil {
			e.log.Error("audit: close", "err", err)
		}
	}()
	cert, key := o.tlsCert, o.tlsKey
	if (cert == "") != (key == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	decay, err := match.ParseDecay(o.decay)
	if err != nil {
		return usagef("--decay: %v", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usagef("cannot listen on %s: %v", o.addr, err)
	}
	// Every server times its store calls and requests; --metrics-addr
	// only decides whether they are served.
	m := metrics.New()
	if g, ok := s.(metrics.GroupCommitter); ok {
		m.WatchGroupCommits(g)
	}
	peers, _ := s.(liaison.PeerService)
	if peers != nil {
		// What the peer endpoint serves and the puller receives is
		// audited, as every other read and write is.
		peers = audit.NewPeerService(peers, aud.log)
	}
	handler, err := newHandler(m.Store(aud.store), peers, office, e.log, aud, decay)
	if err != nil {
		ln.Close()
		return fmt.Errorf("serve: %w", err)
	}
	var msrv *http.Server
	if o.metricsAddr != "" {
		if msrv, err = serveMetrics(e, o.metricsAddr, m); err != nil {
			ln.Close()
			return err
		}
	}
	srv := &http.Server{
		Handler:           m.Instrument(handler),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	addr := ln.Addr().String()
	e.log.Info("office open", "office", office.Code, "url", scheme+"://"+addr+"/", "taxii", scheme+"://"+addr+taxiiDiscovery)
	if ready != nil {
		ready(addr)
	}
	if peers != nil {
		pctx, stopPulls := context.WithCancel(ctx)
		pulled := make(chan struct{})
		go func() {
			defer close(pulled)
			(&federation.Puller{Store: peers, Log: e.log, Witness: aud.witness()}).Run(pctx, o.peerInterval)
		}()
		defer func() { stopPulls(); <-pulled }()
	}
	errc := make(chan error, 1)
	go func() {
		if cert != "" {
			errc <- srv.ServeTLS(ln, cert, key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if msrv != nil {
		// The metrics answer until the office has closed, so a last
		// scrape sees the requests that the shutdown let finish.
		defer msrv.Close()
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	e.log.Info("office closed")
	return nil
}

// serveMetrics serves m's metrics at http://addr/metrics, on a listener
// and server of their own, until the server is closed.
func serveMetrics(e *env, addr string, m *metrics.Metrics) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("cannot listen on %s for --metrics-addr: %v", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout,
		WriteTimeout:      time.Minute,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	e.log.Info("metrics open", "url", "http://"+ln.Addr().String()+"/metrics")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("metrics server stopped", "err", err)
		}
	}()
	return srv, nil
}

// officeOf finds the office's own organisation: the NATO body whose code
// starts NATO-LO, else the first NATO body, else a placeholder.
func officeOf(ctx context.Context, s liaison.Store) (liaison.Organisation, error) {
	orgs, err := s.Organisations(ctx)
	if err != nil {
		return liaison.Organisation{}, err
	}
	var first *liaison.Organisation
	for i, o := range orgs {
		if o.Kind != liaison.NATOBody {
			continue
		}
		if strings.HasPrefix(o.Code, "NATO-LO") {
			return o, nil
		}
		if first == nil {
			first = &orgs[i]
		}
	}
	if first != nil {
		return *first, nil
	}
	return liaison.Organisation{Code: "LIAISON", Name: "Liaison office", Kind: liaison.NATOBody}, nil
}

// limitBody caps every request body, and reads what a refused request
// leaves unread (up to twice the cap, for a bounded time) so that the
// client receives the refusal rather than a reset connection.
func limitBody(h http.Handler) http.Handler {
	return httpguard.DrainUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		h.ServeHTTP(w, r)
	}), 2*maxBody, httpguard.DrainWait)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (to set read
// deadlines, as limitBody does).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one structured line per request.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "bytes", rec.bytes, "ms", time.Since(start).Milliseconds(), "remote", r.RemoteAddr)
	})
}
