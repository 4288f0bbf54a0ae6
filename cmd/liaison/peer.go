package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"liaison"
	"liaison/audit"
	"liaison/federation"
)

// Federation commands (ARCHITECTURE.md, "Federation"; README,
// "Federation").

// peerStore returns the store's federation, or says it has none.
func peerStore(s liaison.Store) (liaison.PeerService, error) {
	ps, ok := s.(liaison.PeerService)
	if !ok {
		return nil, federation.ErrNotPeerService
	}
	return ps, nil
}

// withPeers runs fn with the store's peer service, audited: grants and
// pulls set up, and what a sync serves and receives, are in the log.
func withPeers(ctx context.Context, e *env, st *storeFlags, fn func(liaison.PeerService) error) error {
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		ps, err := peerStore(s)
		if err != nil {
			return err
		}
		return withAuditLog(e, st, s, func(l *audit.Log) error { return fn(audit.NewPeerService(ps, l)) })
	})
}

type peerAllowCmd struct{ serves listFlag }

func (o *peerAllowCmd) declare(fs *flag.FlagSet) {
	fs.Var(&o.serves, "serves", "the organisation codes and communities the peer office serves, comma-separated (required)")
}

func (o *peerAllowCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 || len(o.serves) == 0 {
		return usagef("want the peer office's NAME and --serves CODE,...")
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		tok, err := ps.AllowPeer(ctx, args[0], o.serves)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, tok)
		fmt.Fprintf(e.stderr, "peer %s may pull what is releasable to %s: give it this token now, it is not shown again\n", args[0], strings.Join(o.serves, ", "))
		return nil
	})
}

type peerPullCmd struct {
	url, tokenFile string
	collections    listFlag
}

func (o *peerPullCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.url, "url", "", "the serving office's TAXII API root, such as https://brussels.example.org/taxii2/tokyo/ (required)")
	fs.StringVar(&o.tokenFile, "token-file", "", "a file whose first line is the token the serving office's `liaison peer allow` printed (required)")
	fs.Var(&o.collections, "collection", "REMOTE-ID[=LOCAL-ID]: a collection to pull, into the local collection of that id (default the same id); repeatable")
}

func (o *peerPullCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 || o.url == "" || o.tokenFile == "" || len(o.collections) == 0 {
		return usagef("want the peer office's NAME, --url TAXII-URL, --token-file FILE and --collection REMOTE-ID[=LOCAL-ID]")
	}
	raw, err := os.ReadFile(o.tokenFile)
	if err != nil {
		return usagef("cannot read --token-file: %v", err)
	}
	tok := strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0])
	if tok == "" {
		return usagef("--token-file %s is empty: put the token of `liaison peer allow` in it", o.tokenFile)
	}
	p := liaison.PeerPull{Name: args[0], URL: o.url, Token: tok}
	for _, c := range o.collections {
		remote, local, ok := strings.Cut(c, "=")
		if !ok {
			local = remote
		}
		p.Collections = append(p.Collections, liaison.PeerCollection{Remote: strings.TrimSpace(remote), Local: strings.TrimSpace(local)})
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		if err := ps.AddPeerPull(ctx, p); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "pulling from %s at %s: `liaison serve` syncs it every --peer-interval; `liaison peer sync %s` syncs now\n", p.Name, p.URL, p.Name)
		return nil
	})
}

type peerListCmd struct{ noFlags }

func (*peerListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments")
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		grants, err := ps.PeerGrants(ctx)
		if err != nil {
			return err
		}
		pulls, err := ps.PeerPulls(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PEER\tROLE\tDETAIL\tLAST SUCCESS\tLAST ERROR")
		for _, g := range grants {
			fmt.Fprintf(tw, "%s\tpulls from here\tserves %s\t-\t-\n", g.Name, strings.Join(g.Serves, ","))
		}
		for _, p := range pulls {
			fmt.Fprintf(tw, "%s\tpulled from\t%s\t%s\t%s\n", p.Name, p.URL, stampOr(p.LastOK, "never"), oneLine(p.LastError, "-"))
		}
		return tw.Flush()
	})
}

func stampOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func oneLine(s, none string) string {
	if s == "" {
		return none
	}
	return strings.ReplaceAll(s, "\n", " ")
}

type peerStatusCmd struct{ noFlags }

func (*peerStatusCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) > 1 {
		return usagef("want at most one peer NAME")
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		pulls, err := ps.PeerPulls(ctx)
		if err != nil {
			return err
		}
		grants, err := ps.PeerGrants(ctx)
		if err != nil {
			return err
		}
		witnessed, witnesses, err := witnessState(ctx, ps)
		if err != nil {
			return err
		}
		found := false
		now := time.Now()
		for _, g := range grants {
			if len(args) == 1 && g.Name != args[0] {
				continue
			}
			found = true
			fmt.Fprintf(e.stdout, "peer %s pulls from here, serving %s (granted %s)\n", g.Name, strings.Join(g.Serves, ", "), stampOr(g.Created, "-"))
			if w, ok := witnesses[g.Name]; ok {
				fmt.Fprintf(e.stdout, "  witnesses this office's audit log: cosigned size %d at %s (key %s)\n", w.LastSize, stampOr(w.Last, "-"), w.Key)
			}
		}
		for _, p := range pulls {
			if len(args) == 1 && p.Name != args[0] {
				continue
			}
			found = true
			fmt.Fprintf(e.stdout, "peer %s at %s\n", p.Name, p.URL)
			lag := "-"
			if !p.LastOK.IsZero() {
				lag = now.Sub(p.LastOK).Truncate(time.Second).String()
			}
			fmt.Fprintf(e.stdout, "  last success: %s (lag %s)\n  last try:     %s\n", stampOr(p.LastOK, "never"), lag, stampOr(p.LastTry, "never"))
			if p.LastError != "" {
				fmt.Fprintf(e.stdout, "  last error:   %s (%d failure(s) in a row; retrying with backoff)\n", oneLine(p.LastError, ""), p.Failures)
			} else {
				fmt.Fprintf(e.stdout, "  last error:   none\n")
			}
			fmt.Fprintf(e.stdout, "  change feed:  after %d\n", p.ChangeSeq)
			cur := map[string]liaison.PeerCursor{}
			for _, c := range p.Cursors {
				cur[c.Remote] = c
			}
			for _, c := range p.Collections {
				k := cur[c.Remote]
				fmt.Fprintf(e.stdout, "  collection %s -> %s: cursor %s, %d received\n", c.Remote, c.Local, stampOr(k.After, "start"), k.Received)
			}
			printWitnessed(e, witnessed[p.Name])
			if len(p.Rejects) > 0 {
				fmt.Fprintf(e.stdout, "  rejected objects (latest %d):\n", len(p.Rejects))
				for _, r := range p.Rejects {
					fmt.Fprintf(e.stdout, "    %s %s: %s\n", stampOr(r.At, "-"), r.ID, oneLine(r.Message, ""))
				}
			}
		}
		if len(args) == 1 && !found {
			return liaison.NotFound("peer", args[0])
		}
		return nil
	})
}

type peerSyncCmd struct{ noFlags }

func (*peerSyncCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want the peer's NAME")
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		w, err := commandWitness(ps, st)
		if err != nil {
			return err
		}
		p := &federation.Puller{Store: ps, Log: e.log, Witness: w}
		start := time.Now()
		rep, err := p.Sync(ctx, args[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "synced %s in %s: %d page(s), %d written, %d present already, %d rejected, %d change(s) applied\n",
			args[0], time.Since(start).Round(time.Millisecond), rep.Pages, rep.Written, rep.Present, rep.Rejected, rep.Changes)
		if rep.Witness != nil {
			if errors.Is(rep.Witness, audit.ErrAlarm) {
				return failure{"ALARM " + rep.Witness.Error()}
			}
			fmt.Fprintf(e.stdout, "witnessing %s failed: %s\n", args[0], oneLine(rep.Witness.Error(), ""))
		}
		return nil
	})
}

type peerRemoveCmd struct{ noFlags }

func (*peerRemoveCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want the peer's NAME")
	}
	return withPeers(ctx, e, st, func(ps liaison.PeerService) error {
		gerr := ps.RemovePeerGrant(ctx, args[0])
		perr := ps.RemovePeerPull(ctx, args[0])
		switch {
		case liaison.ErrorCode(gerr) == liaison.ENOTFOUND && liaison.ErrorCode(perr) == liaison.ENOTFOUND:
			return liaison.NotFound("peer", args[0])
		case gerr != nil && liaison.ErrorCode(gerr) != liaison.ENOTFOUND:
			return gerr
		case perr != nil && liaison.ErrorCode(perr) != liaison.ENOTFOUND:
			return perr
		}
		if gerr == nil {
			fmt.Fprintf(e.stderr, "removed %s's grant: its token no longer works here\n", args[0])
		}
		if perr == nil {
			fmt.Fprintf(e.stderr, "stopped pulling from %s (what it sent stays)\n", args[0])
		}
		return nil
	})
}
