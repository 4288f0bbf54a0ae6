package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

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
	known := func(flagName string, codes []string) error {
		for _, c := range codes {
			if _, ok := d.Organisation(c); !ok && !d.HasCommunity(c) {
				return usagef("%s: %q is neither an organisation nor a community of this hub", flagName, c)
			}
		}
		return nil
	}
	opt := &misp.Options{Originator: p.Org, Distribution: map[int][]string{}, SharingGroups: map[string][]string{}}
	for _, v := range m.distributions {
		n, codes, err := misp.ParseDistribution(v)
		if err != nil {
			return nil, usagef("--distribution %v", err)
		}
		if err := known("--distribution "+v, codes); err != nil {
			return nil, err
		}
		opt.Distribution[n] = codes
	}
	for _, v := range m.sharingGroups {
		name, codes, err := misp.ParseMapping(v)
		if err != nil {
			return nil, usagef("--sharing-group %v", err)
		}
		if err := known("--sharing-group "+v, codes); err != nil {
			return nil, err
		}
		opt.SharingGroups[name] = codes
	}
	opt.Lookup = galaxyLookup(ctx, s, p)
	return opt, nil
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

// galaxyLookup finds stored ATT&CK and DISARM objects by external id, in
// the collections p may read and as p reads them (every read is the
// store's reader-filtered one). The index is built on first use.
func galaxyLookup(ctx context.Context, s liaison.Store, p liaison.Principal) func(string) (string, bool) {
	var once sync.Once
	index := map[string]string{}
	return func(x string) (string, bool) {
		once.Do(func() {
			cs, err := s.Collections(ctx, p)
			if err != nil {
				return
			}
			for _, c := range cs {
				if !c.CanRead {
					continue
				}
				q := liaison.ObjectQuery{Types: []string{"attack-pattern", "intrusion-set", "malware", "tool", "campaign"}}
				for {
					page, err := s.Objects(ctx, p, c.ID, q)
					if err != nil {
						break
					}
					for _, v := range page.Versions {
						var o struct {
							ID   string `json:"id"`
							Refs []struct {
								Source string `json:"source_name"`
								ID     string `json:"external_id"`
							} `json:"external_references"`
						}
						if json.Unmarshal(v.Raw, &o) != nil {
							continue
						}
						for _, r := range o.Refs {
							if r.ID != "" && (strings.HasPrefix(r.Source, "mitre-") || strings.EqualFold(r.Source, "DISARM")) {
								if _, dup := index[r.ID]; !dup {
									index[r.ID] = o.ID
								}
							}
						}
					}
					if !page.More || page.Next == "" {
						break
					}
					q.Next = page.Next
				}
			}
		})
		id, ok := index[x]
		return id, ok
	}
}
