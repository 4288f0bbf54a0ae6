package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"liaison"
	"liaison/misp"
)

// mispFlags are the import flags of --format misp: how the sending MISP
// instance's distribution levels and sharing groups map onto this hub.
type mispFlags struct {
	format        string
	sharingGroups repeatFlag
	distributions repeatFlag
}

// repeatFlag is a flag given several times, each value kept whole (its
// commas belong to it).
type repeatFlag []string

func (r *repeatFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatFlag) Set(v string) error { *r = append(*r, v); return nil }

func (m *mispFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&m.format, "format", "stix", "the input format: stix (STIX 2.1 bundles) or misp (MISP events, converted to STIX)")
	fs.Var(&m.sharingGroups, "sharing-group", "with --format misp: NAME=COMMUNITY[,CODE…] maps a MISP sharing group (by name, uuid or id) to hub communities or organisations (repeatable)")
	fs.Var(&m.distributions, "distribution", "with --format misp: LEVEL=COMMUNITY[,CODE…] maps MISP distribution 1 (this community), 2 (connected communities) or 3 (all communities) of the sending instance (repeatable)")
}

// options checks the flags against the hub's directory and returns the
// conversion options for an import by p. Nil options: STIX input.
func (m *mispFlags) options(ctx context.Context, s liaison.Store, p liaison.Principal) (*misp.Options, error) {
	switch m.format {
	case "stix", "":
		if len(m.sharingGroups)+len(m.distributions) > 0 {
			return nil, usagef("--sharing-group and --distribution are for --format misp")
		}
		return nil, nil
	case "misp":
	default:
		return nil, usagef("--format %q: want stix or misp", m.format)
	}
	d, err := s.Directory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the directory: %w", err)
	}
	opt, err := misp.MappingOptions(d, p.Org, m.distributions, m.sharingGroups)
	if err != nil {
		return nil, usagef("%s", liaison.ErrorMessage(err))
	}
	opt.Lookup = misp.StoreLookup(ctx, s, p)
	return &opt, nil
}

// importMISP converts MISP events from r into a STIX bundle stream and
// imports it with importBundle, as any bundle. Refused events count as
// rejections (named, and the command exits 2); conversion warnings join
// the summary's.
func importMISP(ctx context.Context, s liaison.Store, p liaison.Principal, coll string, opt misp.Options, r io.Reader, progress func(int64)) (importSummary, error) {
	pr, pw := io.Pipe()
	var st misp.Stats
	var convErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, convErr = misp.Bundle(r, opt, pw)
		pw.CloseWithError(convErr)
	}()
	sum, err := importBundle(ctx, s, p, coll, pr, progress)
	pr.CloseWithError(io.ErrClosedPipe) // stops the conversion if the import ended early
	<-done
	if convErr != nil && err == nil {
		err = convErr
	}
	for _, msg := range st.Problems {
		sum.rejected = append(sum.rejected, liaison.Rejection{Index: -1, Message: msg})
	}
	sum.notes = append(sum.notes, fmt.Sprintf("MISP: %d events converted (%d attributes, %d STIX objects), %d refused", st.Events, st.Attributes, st.Objects, st.Refused))
	sum.warnings = append(sum.warnings, st.Warnings...)
	return sum, err
}
