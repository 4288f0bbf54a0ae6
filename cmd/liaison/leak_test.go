package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"liaison"
	"liaison/leaktest"
	"liaison/sqlite"
)

// TestExportInvariant runs the randomised leak test on the export path:
// for every principal, `liaison export` of each collection holds exactly
// the versions the reference releases to them, byte for byte, and the
// export of everything holds exactly the union.
func TestExportInvariant(t *testing.T) {
	leaktest.Run(t, func(t *testing.T, now func() time.Time) liaison.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "leak"), sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}, exportPath{})
}

type exportPath struct{}

func (exportPath) Name() string { return "export" }

// exportKey names one version in an export: the id and the version
// timestamp.
type exportKey struct {
	id      string
	version int64
}

func exportedVersions(e *leaktest.Env, r *leaktest.User, colls []string) (map[exportKey][]byte, error) {
	var buf bytes.Buffer
	if _, err := exportBundle(e.Ctx(), e.Store, r.Principal, colls, liaison.ObjectQuery{}, &buf, nil); err != nil {
		return nil, err
	}
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
		return nil, fmt.Errorf("export is not one JSON bundle: %w", err)
	}
	out := map[exportKey][]byte{}
	for _, raw := range b.Objects {
		var o struct{ ID, Modified, Created string }
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err
		}
		v := o.Modified
		if v == "" {
			v = o.Created
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, fmt.Errorf("exported %s has version %q: %w", o.ID, v, err)
		}
		k := exportKey{o.ID, t.UnixMicro()}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("export holds %s@%s twice", o.ID, v)
		}
		out[k] = raw
	}
	return out, nil
}

func (exportPath) Check(e *leaktest.Env, r *leaktest.User) {
	ctx := context.Background()
	union := map[exportKey]bool{}
	for _, c := range e.World.Collections {
		colls, err := exportCollections(ctx, e.Store, r.Principal, c.ID)
		if !e.MayReadCollection(r.Principal, c) {
			if err == nil {
				e.Errorf(r, "LEAK export: collection %s is exported to a principal who may not read it", c.Key)
			} else if liaison.ErrorCode(err) != liaison.ENOTFOUND {
				e.Errorf(r, "export of unreadable collection %s: %v, want not found", c.Key, err)
			}
			continue
		}
		if err != nil {
			e.Errorf(r, "export of %s: %v", c.Key, err)
			continue
		}
		got, err := exportedVersions(e, r, colls)
		if err != nil {
			e.Errorf(r, "export of %s: %v", c.Key, err)
			continue
		}
		want := map[exportKey][]byte{}
		for _, o := range e.Expected(r.Principal, c, leaktest.All) {
			k := exportKey{o.ID, o.Modified.UnixMicro()}
			want[k] = o.Raw
			union[k] = true
		}
		for k, raw := range got {
			w, ok := want[k]
			switch {
			case !ok:
				e.Errorf(r, "LEAK export of %s: holds %s@%d, which the reference hides", c.Key, k.id, k.version)
			case !bytes.Equal(w, raw):
				e.Errorf(r, "export of %s: %s@%d differs from the bytes written", c.Key, k.id, k.version)
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				e.Errorf(r, "export of %s: lacks %s@%d, which the reference shows", c.Key, k.id, k.version)
			}
		}
	}
	colls, err := exportCollections(ctx, e.Store, r.Principal, "")
	if err != nil {
		e.Errorf(r, "export of everything: %v", err)
		return
	}
	got, err := exportedVersions(e, r, colls)
	if err != nil {
		e.Errorf(r, "export of everything: %v", err)
		return
	}
	var extra, missing []string
	for k := range got {
		if !union[k] {
			extra = append(extra, fmt.Sprintf("%s@%d", k.id, k.version))
		}
	}
	for k := range union {
		if _, ok := got[k]; !ok {
			missing = append(missing, fmt.Sprintf("%s@%d", k.id, k.version))
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 {
		e.Errorf(r, "LEAK export of everything: holds %d versions the reference hides, such as %v", len(extra), extra[:min(3, len(extra))])
	}
	if len(missing) > 0 {
		e.Errorf(r, "export of everything: lacks %d versions the reference shows, such as %v", len(missing), missing[:min(3, len(missing))])
	}
}
