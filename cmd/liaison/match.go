package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"liaison"
)

// maxMatchFile bounds the bundle liaison match reads: it is matched as
// one batch, so it is held in memory whole.
const maxMatchFile = 256 << 20

type matchCmd struct {
	as, collection string
	record         bool
}

func (o *matchCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.as, "as", "", "the user whose observations these are: only indicators they may read are tried (required)")
	fs.StringVar(&o.collection, "collection", "", "match only the indicators of this collection, and record sightings there")
	fs.BoolVar(&o.record, "record", false, "write the observations and a sighting for each indicator matched (needs --collection)")
}

func (o *matchCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if o.as == "" {
		return usagef("want --as USER: only the indicators that user may read are matched")
	}
	if len(args) != 1 {
		return usagef("want one FILE: a STIX bundle of observations (or - for stdin)")
	}
	if o.record && o.collection == "" {
		return usagef("--record needs --collection: the collection the sightings are written to")
	}
	r := e.stdin
	if name := args[0]; name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return usagef("cannot open %s: %v", name, err)
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxMatchFile+1))
	if err != nil {
		return fmt.Errorf("match: read %s: %w", args[0], err)
	}
	if len(raw) > maxMatchFile {
		return usagef("%s is larger than %d MiB: split it into several bundles", args[0], maxMatchFile>>20)
	}
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return usagef("%s is not a JSON STIX bundle: %v", args[0], err)
	}
	if b.Type != "bundle" {
		return usagef("%s has type %q: want a STIX bundle of observations", args[0], b.Type)
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := s.User(ctx, o.as)
		if err != nil {
			return err
		}
		start := time.Now()
		res, err := s.Match(ctx, p, liaison.MatchRequest{Objects: b.Objects, Collection: o.collection, Record: o.record})
		if err != nil {
			return err
		}
		for _, m := range res.Matches {
			line := fmt.Sprintf("%s (version %s) in collection %s: %s", m.Indicator, m.Version.UTC().Format(time.RFC3339Nano), m.Collection, strings.Join(m.Observations, ", "))
			if m.Sighting != "" {
				line += "; sighting " + m.Sighting
			}
			fmt.Fprintln(e.stdout, line)
		}
		fmt.Fprintf(e.stderr, "%d observations matched %d indicator versions that %s (%s) may read, in %s\n",
			res.Observations, len(res.Matches), p.Name, p.Org, time.Since(start).Round(time.Millisecond))
		if o.record {
			fmt.Fprintf(e.stderr, "recorded: %d objects written, %d rejected\n", len(res.Written), len(res.Rejected))
			for _, rj := range res.Rejected {
				fmt.Fprintf(e.stderr, "  rejected: %s\n", rj.Message)
			}
		}
		return nil
	})
}
