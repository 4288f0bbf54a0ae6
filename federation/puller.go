package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/stix"
)

// PeerPath is where the peer endpoint sits below a TAXII API root.
const PeerPath = "peer/"

// DefaultInterval is how often serve pulls from each peer.
const DefaultInterval = time.Minute

// maxBackoff bounds the wait before retrying a failing peer.
const maxBackoff = time.Hour

// Puller pulls from the peers configured in a store.
type Puller struct {
	Store    liaison.PeerService
	Client   *http.Client // nil: a client with a 1 minute timeout
	Log      *slog.Logger // nil: slog.Default()
	PageSize int          // 0: 1000
	// Witness, when set, cosigns each peer's audit checkpoint after a
	// successful sync (package audit; a peer it does not witness is
	// skipped).
	Witness *audit.Witness
}

// Report is what one sync of a peer did.
type Report struct {
	Pages    int
	Written  int
	Present  int
	Rejected int
	Changes  int
	// Witness is why witnessing the peer's audit log failed after the
	// sync: empty when it did not fail. A fork or a rollback wraps
	// audit.ErrAlarm; either way the objects synced stand.
	Witness error
}

func (p *Puller) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: time.Minute}
}

func (p *Puller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// pull returns the configured peer name.
func (p *Puller) pull(ctx context.Context, name string) (liaison.PeerPull, error) {
	all, err := p.Store.PeerPulls(ctx)
	if err != nil {
		return liaison.PeerPull{}, err
	}
	for _, pp := range all {
		if pp.Name == name {
			return pp, nil
		}
	}
	return liaison.PeerPull{}, liaison.NotFound("peer", name)
}

// Sync pulls once from peer name: every pulled collection from its cursor,
// then the change feed; it records the outcome in the store's status.
func (p *Puller) Sync(ctx context.Context, name string) (Report, error) {
	pp, err := p.pull(ctx, name)
	if err != nil {
		return Report{}, err
	}
	rep, err := p.sync(ctx, pp)
	if err == nil && p.Witness != nil {
		if rep.Witness = p.Witness.Witness(ctx, pp.Name, peerLog{p, pp}); rep.Witness != nil {
			level := slog.LevelWarn
			if errors.Is(rep.Witness, audit.ErrAlarm) {
				level = slog.LevelError
			}
			p.log().Log(ctx, level, "federation: witnessing the peer's audit log failed", "peer", pp.Name, "err", rep.Witness)
		}
	}
	note := ""
	if err != nil {
		note = err.Error()
	}
	if nerr := p.Store.NotePeerSync(context.WithoutCancel(ctx), name, note); nerr != nil && err == nil {
		err = nerr
	}
	return rep, err
}

func (p *Puller) sync(ctx context.Context, pp liaison.PeerPull) (Report, error) {
	var rep Report
	after := map[string]time.Time{}
	for _, c := range pp.Cursors {
		after[c.Remote] = c.After
	}
	size := p.PageSize
	if size <= 0 {
		size = 1000
	}
	for _, c := range pp.Collections {
		cur := after[c.Remote]
		for {
			q := url.Values{"limit": {strconv.Itoa(size)}}
			if !cur.IsZero() {
				q.Set("added_after", cur.UTC().Format(stamp))
			}
			var env Envelope
			hdr, err := p.get(ctx, pp, "collections/"+url.PathEscape(c.Remote)+"/objects/", q, &env)
			if err != nil {
				return rep, err
			}
			if len(env.Objects) != len(env.Facts) {
				return rep, fmt.Errorf("peer %s: collection %s: a page of %d objects came with %d facts", pp.Name, c.Remote, len(env.Objects), len(env.Facts))
			}
			if len(env.Objects) == 0 {
				break
			}
			last, err := time.Parse(time.RFC3339Nano, hdr.Get("X-TAXII-Date-Added-Last"))
			if err != nil {
				return rep, fmt.Errorf("peer %s: collection %s: X-TAXII-Date-Added-Last %q is not a timestamp", pp.Name, c.Remote, hdr.Get("X-TAXII-Date-Added-Last"))
			}
			if !last.After(cur) {
				return rep, fmt.Errorf("peer %s: collection %s: the page did not move past %s", pp.Name, c.Remote, cur.Format(stamp))
			}
			vs := make([]liaison.PeerVersion, len(env.Objects))
			for i := range env.Objects {
				vs[i] = version(i, env.Objects[i], env.Facts[i])
			}
			got, err := p.Store.ReceivePeerPage(ctx, pp.Name, c.Remote, vs, last)
			if err != nil {
				return rep, fmt.Errorf("peer %s: write collection %s: %w", pp.Name, c.Local, err)
			}
			rep.Pages++
			rep.Written += got.Written
			rep.Present += got.Present
			rep.Rejected += len(got.Rejected)
			cur = last
			if !env.More {
				break
			}
		}
	}
	seq := pp.ChangeSeq
	for {
		var chs Changes
		q := url.Values{"after": {strconv.FormatInt(seq, 10)}, "limit": {strconv.Itoa(size)}}
		if _, err := p.get(ctx, pp, "changes/", q, &chs); err != nil {
			return rep, err
		}
		if chs.Next < seq {
			return rep, fmt.Errorf("peer %s: the change feed went back from %d to %d", pp.Name, seq, chs.Next)
		}
		if chs.Next == seq && len(chs.Changes) == 0 {
			break
		}
		list := make([]liaison.PeerChange, 0, len(chs.Changes))
		for i, c := range chs.Changes {
			ver, err := time.Parse(time.RFC3339Nano, c.Version)
			if err != nil {
				return rep, fmt.Errorf("peer %s: change %d: version %q is not a timestamp", pp.Name, c.Seq, c.Version)
			}
			pc := liaison.PeerChange{Seq: c.Seq, Collection: c.Collection, ID: c.ID, Modified: ver, Withdrawn: c.Withdrawn}
			if !c.Withdrawn {
				if c.Fact == nil {
					return rep, fmt.Errorf("peer %s: change %d names a version with no facts", pp.Name, c.Seq)
				}
				pc.Version = version(i, c.Object, *c.Fact)
			}
			list = append(list, pc)
		}
		got, err := p.Store.ApplyPeerChanges(ctx, pp.Name, list, chs.Next)
		if err != nil {
			return rep, fmt.Errorf("peer %s: apply the change feed: %w", pp.Name, err)
		}
		rep.Changes += len(list)
		rep.Written += got.Written
		rep.Rejected += len(got.Rejected)
		seq = chs.Next
		if !chs.More {
			break
		}
	}
	return rep, nil
}

// version decodes one object a peer served with its facts; a fault is
// kept with the version, to be recorded as its rejection.
func version(i int, raw json.RawMessage, f Fact) liaison.PeerVersion {
	v := liaison.PeerVersion{ID: f.ID, Originator: f.Originator, Audience: liaison.NewAudience(f.Audience...), Raw: []byte(raw)}
	var err error
	if v.Version, err = time.Parse(time.RFC3339Nano, f.Version); err != nil {
		v.Fault = fmt.Sprintf("object %d (%s): its version %q is not a timestamp", i, f.ID, f.Version)
		return v
	}
	if v.DateAdded, err = time.Parse(time.RFC3339Nano, f.DateAdded); err != nil {
		v.Fault = fmt.Sprintf("object %d (%s): its date_added %q is not a timestamp", i, f.ID, f.DateAdded)
		return v
	}
	c, err := stix.Decode(i, v.Raw)
	if err != nil {
		v.Fault = err.Error()
		return v
	}
	if c.ID != f.ID {
		v.Fault = fmt.Sprintf("object %d (%s): its facts name %s", i, c.ID, f.ID)
		return v
	}
	v.Candidate = c
	return v
}

// get fetches one resource of the peer endpoint into out, with a clear
// error for each way it can fail.
func (p *Puller) get(ctx context.Context, pp liaison.PeerPull, path string, q url.Values, out any) (http.Header, error) {
	body, hdr, err := p.do(ctx, pp, http.MethodGet, path, q, nil)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return nil, fmt.Errorf("peer %s: %s is not the peer endpoint's JSON: %w", pp.Name, path, err)
	}
	return hdr, nil
}

// do makes one request of the peer endpoint and returns the body of a
// 2xx answer; any other is an error saying what it means.
func (p *Puller) do(ctx context.Context, pp liaison.PeerPull, method, path string, q url.Values, send []byte) ([]byte, http.Header, error) {
	base := strings.TrimSuffix(pp.URL, "/") + "/" + PeerPath
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if send != nil {
		rd = bytes.NewReader(send)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("peer %s: URL %s: %w", pp.Name, pp.URL, err)
	}
	req.Header.Set("Authorization", "Bearer "+pp.Token)
	req.Header.Set("Accept", MediaType)
	if send != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("peer %s at %s is unreachable: %w", pp.Name, pp.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("peer %s: reading %s: %w", pp.Name, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		_ = json.Unmarshal(body, &e)
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return nil, nil, fmt.Errorf("peer %s refused the token (401 %s): the grant was removed or the token is wrong; ask %s's operator for a new one (liaison peer allow)", pp.Name, e.Title, pp.Name)
		case http.StatusNotFound:
			return nil, nil, fmt.Errorf("peer %s: %s is not there or not pulled by this office (404 %s)", pp.Name, path, e.Title)
		}
		return nil, nil, fmt.Errorf("peer %s: %s answered %d %s", pp.Name, path, resp.StatusCode, e.Title)
	}
	return body, resp.Header, nil
}

// Run pulls from every configured peer every interval until ctx ends. A
// peer that fails waits interval × 2^failures (at most an hour) before the
// next try; its status shows the error meanwhile.
func (p *Puller) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	next := map[string]time.Time{}
	tick := time.NewTicker(min(interval, 5*time.Second))
	defer tick.Stop()
	for {
		pulls, err := p.Store.PeerPulls(ctx)
		if err != nil && ctx.Err() == nil {
			p.log().Warn("federation: list peers", "err", err)
		}
		now := time.Now()
		for _, pp := range pulls {
			if t, ok := next[pp.Name]; ok && now.Before(t) {
				continue
			}
			rep, err := p.Sync(ctx, pp.Name)
			if ctx.Err() != nil {
				return
			}
			wait := interval
			if err != nil {
				wait = Backoff(interval, pp.Failures+1)
				p.log().Warn("federation: sync failed", "peer", pp.Name, "err", err, "retry_in", wait)
			} else if rep.Written+rep.Changes+rep.Rejected > 0 {
				p.log().Info("federation: synced", "peer", pp.Name, "written", rep.Written, "changes", rep.Changes, "rejected", rep.Rejected)
			}
			next[pp.Name] = time.Now().Add(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Backoff is the wait before the next try after failures failures in a
// row: interval doubled for each, at most an hour.
func Backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	for i := 0; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// ErrNotPeerService says a store has no federation.
var ErrNotPeerService = errors.New("this store does not federate")
