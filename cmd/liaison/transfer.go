package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"liaison"
	"liaison/internal/ingest"
	"liaison/stix"
)

// firstReasons is how many reasons of each kind an import prints.
const firstReasons = 10

type importCmd struct {
	as, collection string
	progress       bool
	misp           mispFlags // --format misp and its mappings (misp.go)
}

func (o *importCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.as, "as", "", "the user importing: the originator is their organisation (required)")
	fs.StringVar(&o.collection, "collection", "", "the collection id; default the only collection the user may write")
	fs.BoolVar(&o.progress, "progress", false, "show progress on stderr even when it is not a terminal (a line a second)")
	o.misp.declare(fs)
}

type exportCmd struct {
	as, collection, addedAfter, output string
	types                              listFlag
	progress                           bool
}

func (o *exportCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.as, "as", "", "the user whose view is exported (required)")
	fs.StringVar(&o.collection, "collection", "", "the collection id; default every collection the user may read")
	fs.Var(&o.types, "type", "only objects of this STIX type (repeatable)")
	fs.StringVar(&o.addedAfter, "added-after", "", "only versions added after this RFC 3339 timestamp")
	fs.StringVar(&o.output, "output", "", "write to this file instead of stdout")
	fs.BoolVar(&o.progress, "progress", false, "show progress on stderr even when it is not a terminal (a line a second)")
}

// importSummary counts what an import did.
type importSummary struct {
	added, present int
	rejected       []liaison.Rejection
	// conflicts are versions stored already with other content: the
	// stored one stays (STIX gives a changed object a new modified), so
	// they are reported, not counted as failures.
	conflicts []liaison.Accepted
	warnings  []string
	notes     []string // what a conversion did (--format misp), printed as is
}

func (o *importCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if o.as == "" {
		return usagef("want --as USER: the originator of what you import is that user's organisation")
	}
	if len(args) == 0 {
		return usagef("want at least one FILE (or - for stdin)")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := s.User(ctx, o.as)
		if err != nil {
			return err
		}
		coll, err := pickCollection(ctx, s, p, o.collection, true)
		if err != nil {
			return err
		}
		mopt, err := o.misp.options(ctx, s, p)
		if err != nil {
			return err
		}
		total := importSummary{}
		for _, name := range args {
			var r io.Reader
			var size int64 // 0: unknown
			if name == "-" {
				r = e.stdin
				if f, ok := e.stdin.(*os.File); ok {
					size = fileSize(f) // stdin redirected from a file
				}
			} else {
				f, err := os.Open(name)
				if err != nil {
					return usagef("cannot open %s: %v", name, err)
				}
				defer f.Close()
				r, size = f, fileSize(f)
			}
			bar := newTransferProgress(e, o.progress, "importing "+name, size)
			cr := &countingReader{r: r}
			start := time.Now()
			progress := func(objects int64) { bar.update(objects, cr.n, false) }
			var sum importSummary
			if mopt != nil {
				sum, err = importMISP(ctx, s, p, coll, *mopt, cr, progress)
			} else {
				sum, err = importBundle(ctx, s, p, coll, cr, progress)
			}
			bar.finish(int64(sum.added+sum.present+len(sum.conflicts)+len(sum.rejected)), cr.n)
			if err != nil {
				return fmt.Errorf("import %s: %w", name, err)
			}
			el := time.Since(start)
			n := sum.added + sum.present + len(sum.conflicts) + len(sum.rejected)
			fmt.Fprintf(e.stderr, "%s: %d objects in %s (%.0f objects/s, %s): %d added, %d already present, %d conflicting, %d rejected\n",
				name, n, el.Round(time.Millisecond), float64(n)/max(el.Seconds(), 1e-9), humanBytes(cr.n), sum.added, sum.present, len(sum.conflicts), len(sum.rejected))
			for _, n := range sum.notes {
				fmt.Fprintf(e.stderr, "  %s\n", n)
			}
			for _, w := range sum.warnings {
				fmt.Fprintf(e.stderr, "  warning: %s\n", w)
			}
			for i, r := range sum.conflicts {
				if i == firstReasons {
					fmt.Fprintf(e.stderr, "  … and %d more conflicting\n", len(sum.conflicts)-firstReasons)
					break
				}
				fmt.Fprintf(e.stderr, "  conflicting: %s\n", r.Conflict)
			}
			for i, r := range sum.rejected {
				if i == firstReasons {
					fmt.Fprintf(e.stderr, "  … and %d more rejected\n", len(sum.rejected)-firstReasons)
					break
				}
				fmt.Fprintf(e.stderr, "  rejected: %s\n", r.Message)
			}
			total.added += sum.added
			total.present += sum.present
			total.rejected = append(total.rejected, sum.rejected...)
		}
		if len(total.rejected) > 0 {
			return liaison.Errorf(liaison.EINVALID, "%d objects rejected; the other %d were stored", len(total.rejected), total.added+total.present)
		}
		return nil
	})
}

// pickCollection returns the collection id to use: the one given, or the
// only one the principal may write (or read, for export).
func pickCollection(ctx context.Context, s liaison.Store, p liaison.Principal, id string, write bool) (string, error) {
	if id != "" {
		c, err := s.Collection(ctx, p, id)
		if err != nil {
			return "", err
		}
		if write && !c.CanWrite {
			return "", liaison.Errorf(liaison.EFORBIDDEN, "%s may not write to collection %q (%s)", p.Name, c.Title, c.ID)
		}
		return c.ID, nil
	}
	cs, err := s.Collections(ctx, p)
	if err != nil {
		return "", err
	}
	var ok []string
	for _, c := range cs {
		if (write && c.CanWrite) || (!write && c.CanRead) {
			ok = append(ok, fmt.Sprintf("%s (%s)", c.ID, c.Title))
		}
	}
	switch len(ok) {
	case 0:
		return "", liaison.Errorf(liaison.EFORBIDDEN, "%s may not write to any collection", p.Name)
	case 1:
		id, _, _ := strings.Cut(ok[0], " ")
		return id, nil
	}
	return "", usagef("%s may write to %d collections; pick one with --collection: %s", p.Name, len(ok), strings.Join(ok, ", "))
}

// importBundle streams one bundle into a collection through the import
// path the pages share (internal/ingest).
func importBundle(ctx context.Context, s liaison.Store, p liaison.Principal, coll string, r io.Reader, progress func(objects int64)) (importSummary, error) {
	sum, err := ingest.Bundle(ctx, s, p, coll, r, ingest.Options{Progress: progress})
	return importSummary{added: sum.Added, present: sum.Present, rejected: sum.Rejected, conflicts: sum.Conflicts, warnings: sum.Warnings}, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (o *exportCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if o.as == "" {
		return usagef("want --as USER: export holds only what that user may read")
	}
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	var after time.Time
	if v := o.addedAfter; v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return usagef("--added-after %q is not an RFC 3339 timestamp such as 2024-01-01T00:00:00Z", v)
		}
		after = t
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := s.User(ctx, o.as)
		if err != nil {
			return err
		}
		colls, err := exportCollections(ctx, s, p, o.collection)
		if err != nil {
			return err
		}
		w := e.stdout
		var f *os.File
		if out := o.output; out != "" {
			if f, err = os.Create(out); err != nil {
				return usagef("cannot create --output: %v", err)
			}
			defer f.Close()
			w = f
		}
		bar := newTransferProgress(e, o.progress, "exporting", 0)
		cw := &countingWriter{w: w}
		n, err := exportBundle(ctx, s, p, colls, liaison.ObjectQuery{AddedAfter: after, Types: o.types}, cw,
			func(objects int) { bar.update(int64(objects), cw.n, false) })
		bar.finish(int64(n), cw.n)
		if err != nil {
			return err
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return fmt.Errorf("export: close %s: %w", f.Name(), err)
			}
		}
		fmt.Fprintf(e.stderr, "exported %d object versions from %d collections as %s\n", n, len(colls), p.Name)
		return nil
	})
}

// exportCollections returns the collections an export as p covers: the one
// named, if p may read it (a collection p may not read is not found, like
// a missing one), or every collection p may read.
func exportCollections(ctx context.Context, s liaison.Store, p liaison.Principal, id string) ([]string, error) {
	if id != "" {
		c, err := s.Collection(ctx, p, id)
		if err != nil {
			return nil, err
		}
		if !c.CanRead {
			return nil, liaison.NotFound("collection", id)
		}
		return []string{c.ID}, nil
	}
	cs, err := s.Collections(ctx, p)
	if err != nil {
		return nil, err
	}
	var colls []string
	for _, c := range cs {
		if c.CanRead {
			colls = append(colls, c.ID)
		}
	}
	return colls, nil
}

// exportBundle writes every version the principal may read in the
// collections as one bundle, paging through the store's reader-filtered
// query. A version stored in several collections is written once.
func exportBundle(ctx context.Context, s liaison.Store, p liaison.Principal, colls []string, q liaison.ObjectQuery, w io.Writer, progress func(objects int)) (int, error) {
	bw := stix.NewBundleWriter(w)
	q.Versions = []string{liaison.VersionAll}
	q.Limit = 1000
	seen := map[string]bool{}
	n := 0
	for _, c := range colls {
		q.Next = ""
		for {
			page, err := s.Objects(ctx, p, c, q)
			if err != nil {
				return n, err
			}
			for _, v := range page.Versions {
				if len(colls) > 1 {
					k := v.ID + "|" + v.Modified.Format(time.RFC3339Nano)
					if seen[k] {
						continue
					}
					seen[k] = true
				}
				if err := bw.Write(v.Raw); err != nil {
					return n, fmt.Errorf("export: write: %w", err)
				}
				n++
			}
			if progress != nil {
				progress(n)
			}
			if !page.More {
				break
			}
			q.Next = page.Next
		}
	}
	if err := bw.Close(); err != nil {
		return n, fmt.Errorf("export: write: %w", err)
	}
	return n, nil
}
