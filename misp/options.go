package misp

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	"liaison"
)

// MappingOptions checks the mappings an importer gave, each written as
// for liaison import's flags ("1=NATO" for --distribution, "Ministries
// SG=USA,FRA" for --sharing-group), against the hub's directory, and
// returns the options for an import by an organisation originator. The
// command line and the import page both take this path, so a mapping is
// refused with the same words on both (EINVALID).
func MappingOptions(d *liaison.Directory, originator string, distributions, sharingGroups []string) (Options, error) {
	known := func(what string, codes []string) error {
		for _, c := range codes {
			if _, ok := d.Organisation(c); !ok && !d.HasCommunity(c) {
				return liaison.Errorf(liaison.EINVALID, "%s: %q is neither an organisation nor a community of this hub", what, c)
			}
		}
		return nil
	}
	opt := Options{Originator: originator, Distribution: map[int][]string{}, SharingGroups: map[string][]string{}}
	for _, v := range distributions {
		n, codes, err := ParseDistribution(v)
		if err != nil {
			return Options{}, liaison.Errorf(liaison.EINVALID, "--distribution %v", err)
		}
		if err := known("--distribution "+v, codes); err != nil {
			return Options{}, err
		}
		opt.Distribution[n] = codes
	}
	for _, v := range sharingGroups {
		name, codes, err := ParseMapping(v)
		if err != nil {
			return Options{}, liaison.Errorf(liaison.EINVALID, "--sharing-group %v", err)
		}
		if err := known("--sharing-group "+v, codes); err != nil {
			return Options{}, err
		}
		opt.SharingGroups[name] = codes
	}
	return opt, nil
}

// Reader is what StoreLookup reads: the store's reader-filtered
// collections and objects.
type Reader interface {
	Collections(ctx context.Context, p liaison.Principal) ([]liaison.CollectionAccess, error)
	Objects(ctx context.Context, p liaison.Principal, collection string, q liaison.ObjectQuery) (liaison.ObjectPage, error)
}

// StoreLookup is an Options.Lookup that finds stored ATT&CK and DISARM
// objects by external id, in the collections p may read and as p reads
// them (every read is the store's reader-filtered one). The index is
// built on first use.
func StoreLookup(ctx context.Context, s Reader, p liaison.Principal) func(string) (string, bool) {
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
