package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"liaison"
)

type copyCmd struct{ from, to string }

func (o *copyCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.from, "from", "", "the store to copy: a data folder or a postgres:// URL")
	fs.StringVar(&o.to, "to", "", "the empty store to copy into: a data folder (made if missing) or a postgres:// URL")
}

func (o *copyCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only --from and --to")
	}
	if o.from == "" || o.to == "" {
		return usagef("needs --from and --to: a data folder or a postgres:// URL each")
	}
	if o.from == o.to {
		return usagef("--from and --to name the same store")
	}
	return copyOffice(ctx, e, o.from, o.to)
}

// copyOffice copies everything from the store at from into the empty
// store at to, reporting progress on stderr. A target that holds an
// office is refused; a copy that fails leaves the target as it was.
func copyOffice(ctx context.Context, e *env, from, to string) error {
	src, err := openAt(ctx, e, from)
	if err != nil {
		return err
	}
	defer src.Close()
	exp, ok := src.(liaison.Snapshotter)
	if !ok {
		return fmt.Errorf("copy: the store at %s cannot export an office", displayLocation(from))
	}
	dst, discard, exists, err := newStore(ctx, e, to)
	if exists {
		return usagef("%s holds an office already: copy only into an empty store", displayLocation(to))
	}
	if err != nil {
		return err
	}
	imp, ok := dst.(liaison.Snapshotter)
	if !ok {
		discard()
		return fmt.Errorf("copy: the store at %s cannot import an office", displayLocation(to))
	}
	start := time.Now()
	p := &copyProgress{e: e, start: start}
	if e.stderrIsTTY {
		p.bar = newProgressBar(e.stderr, "copy", "versions")
	}
	fmt.Fprintf(e.stderr, "copying %s to %s\n", displayLocation(from), displayLocation(to))
	err = imp.Import(ctx, func(emit func(liaison.SnapshotPart) error) error {
		return exp.Export(ctx, func(part liaison.SnapshotPart) error {
			if err := emit(part); err != nil {
				return err
			}
			p.report(part)
			return nil
		})
	})
	if err != nil {
		discard()
		return err
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("copy: close %s: %w", displayLocation(to), err)
	}
	p.finish()
	return nil
}

// copyProgress reports a copy's parts on stderr: a line per kind of
// record, and the object versions as a bar on a terminal or a line every
// tenth of the way otherwise.
type copyProgress struct {
	e        *env
	start    time.Time
	bar      *progressBar
	totals   liaison.SnapshotTotals
	versions int64
	lastPct  int64
}

func (p *copyProgress) report(part liaison.SnapshotPart) {
	w := p.e.stderr
	if part.Totals != nil {
		p.totals = *part.Totals
	}
	if n := len(part.Organisations); n > 0 {
		fmt.Fprintf(w, "copy: %d organisations, %d communities, %d agreements\n", n, len(part.Communities), len(part.Agreements))
	}
	if len(part.Users)+len(part.Tokens) > 0 {
		fmt.Fprintf(w, "copy: %d users, %d tokens (hashes as stored)\n", len(part.Users), len(part.Tokens))
	}
	if len(part.Markings)+len(part.Collections) > 0 {
		fmt.Fprintf(w, "copy: %d marking-definitions, %d collections\n", len(part.Markings), len(part.Collections))
	}
	if n := int64(len(part.Versions)); n > 0 {
		p.versions += n
		if p.bar != nil {
			p.bar.update(p.versions, p.totals.Versions, -1, p.versions == p.totals.Versions)
		} else if pct := p.versions * 10 / max(p.totals.Versions, 1); pct > p.lastPct || p.versions == p.totals.Versions {
			p.lastPct = pct
			fmt.Fprintf(w, "copy: %d/%d object versions\n", p.versions, p.totals.Versions)
		}
	}
	if len(part.Consultations)+len(part.Contributions)+len(part.Proposals)+len(part.Statuses) > 0 {
		if p.bar != nil {
			p.bar.finish()
			p.bar = nil
		}
		fmt.Fprintf(w, "copy: %d consultations, %d contributions, %d proposals, %d statuses\n",
			len(part.Consultations), len(part.Contributions), len(part.Proposals), len(part.Statuses))
	}
}

// finish reports the end of the copy.
func (p *copyProgress) finish() {
	if p.bar != nil {
		p.bar.finish()
	}
	fmt.Fprintf(p.e.stderr, "copied the office (%d object versions) in %s\n", p.versions, time.Since(p.start).Round(time.Millisecond))
}
