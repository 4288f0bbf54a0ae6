// Package objquery parses a liaison.ObjectQuery into the filter every store
// applies, and encodes the paging cursor. Both stores use it, so they
// accept and refuse the same queries with the same messages, and a
// client's cursor survives a copy of the office from one store to the
// other.
package objquery

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"liaison"
	"liaison/stix"
)

// Page sizes of a read.
const (
	DefaultPageSize = 100  // when ObjectQuery.Limit is 0
	MaxPageSize     = 1000 // larger limits are capped here
)

// Filter is a checked ObjectQuery, with times in microseconds.
type Filter struct {
	After             int64 // versions added strictly after this
	Before            int64 // versions added strictly before this; 0: no bound
	Desc              bool  // newest added first
	Limit             int
	IDs, Types, Specs []string
	All, First, Last  bool
	Stamps            []int64 // explicit versions asked for
	Manifest          bool
	// Superseded says the store keeps versions.superseded, 0 only when no
	// later version of the object is stored in the collection (whoever may
	// read it): such a version is the latest for every reader who may read
	// it, so the latest-version test passes it without looking for later
	// ones. The stores set it, not the query.
	Superseded bool
}

// SplitList splits every entry on commas, trims, and drops empty values.
func SplitList(in []string) []string {
	var out []string
	for _, e := range in {
		for _, v := range strings.Split(e, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// Parse checks and parses q. EINVALID names the bad part.
func Parse(q liaison.ObjectQuery) (Filter, error) {
	f := Filter{IDs: SplitList(q.IDs), Types: SplitList(q.Types), Specs: SplitList(q.SpecVersions), Manifest: q.Manifest}
	switch {
	case q.Limit < 0:
		return f, liaison.Errorf(liaison.EINVALID, "limit %d is negative", q.Limit)
	case q.Limit == 0:
		f.Limit = DefaultPageSize
	default:
		f.Limit = min(q.Limit, MaxPageSize)
	}
	if !q.AddedAfter.IsZero() {
		f.After = q.AddedAfter.UnixMicro()
	}
	f.Desc = q.Newest
	if !q.AddedBefore.IsZero() {
		f.Before = max(1, q.AddedBefore.UnixMicro())
	}
	if q.Next != "" {
		c, desc, err := DecodeCursorOrder(q.Next)
		if err != nil {
			return f, err
		}
		if desc != f.Desc {
			return f, liaison.Errorf(liaison.EINVALID, "next %q is a cursor of the other order (newest or oldest first)", q.Next)
		}
		if desc {
			if f.Before == 0 || c < f.Before {
				f.Before = max(1, c)
			}
		} else {
			f.After = max(f.After, c)
		}
	}
	for _, l := range []struct {
		name string
		vals []string
	}{{"id", f.IDs}, {"type", f.Types}, {"spec_version", f.Specs}} {
		for i, v := range l.vals {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return f, liaison.Errorf(liaison.EINVALID, "%s filter value %d is not valid UTF-8 text", l.name, i)
			}
		}
	}
	vs := SplitList(q.Versions)
	if len(vs) == 0 {
		vs = []string{liaison.VersionLast}
	}
	for _, v := range vs {
		switch v {
		case liaison.VersionAll:
			f.All = true
		case liaison.VersionFirst:
			f.First = true
		case liaison.VersionLast:
			f.Last = true
		default:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, liaison.Errorf(liaison.EINVALID, "version %q is not first, last, all or an RFC 3339 timestamp", v)
			}
			f.Stamps = append(f.Stamps, t.UnixMicro())
		}
	}
	return f, nil
}

// The cursors' prefixes: oldest first (the TAXII order), newest first.
const (
	cursorPrefix     = "da1:"
	descCursorPrefix = "dd1:"
)

// EncodeCursor returns the opaque next cursor for a page whose last
// version was added at us microseconds.
func EncodeCursor(us int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(us, 10)))
}

// EncodeCursorOrder is EncodeCursor for either order: desc for a page
// read newest first, whose next page holds what was added before us.
func EncodeCursorOrder(us int64, desc bool) string {
	if !desc {
		return EncodeCursor(us)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(descCursorPrefix + strconv.FormatInt(us, 10)))
}

// DecodeCursor reads a cursor EncodeCursor made; anything else is EINVALID.
func DecodeCursor(s string) (int64, error) {
	us, desc, err := DecodeCursorOrder(s)
	if err == nil && desc {
		return 0, liaison.Errorf(liaison.EINVALID, "next %q is not a cursor this server gave out", s)
	}
	return us, err
}

// DecodeCursorOrder reads a cursor of either order and says which.
func DecodeCursorOrder(s string) (us int64, desc bool, err error) {
	bad := liaison.Errorf(liaison.EINVALID, "next %q is not a cursor this server gave out", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false, bad
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		if rest, ok = strings.CutPrefix(string(raw), descCursorPrefix); !ok {
			return 0, false, bad
		}
		desc = true
	}
	us, err = strconv.ParseInt(rest, 10, 64)
	if err != nil || us < 0 {
		return 0, false, bad
	}
	return us, desc, nil
}

// Order is the direction of a page's ORDER BY on date_added: "" (oldest
// first) or " DESC".
func (f Filter) Order() string {
	if f.Desc {
		return ` DESC`
	}
	return ``
}

// WalkAudiences is the page plan both stores share: whether a reader who
// may read readable of the store's all audiences should page by walking
// each of those audiences (at most arms of them) rather than the whole
// collection. A walk along the collection costs about the page size
// divided by the share the reader may read; walks per audience cost about
// the page size (plus a probe or a page per audience, by store), whatever
// the share. So walks are for readers of few audiences: at most arms, not
// all of them, and at most 4 or half of the store's.
func WalkAudiences(readable, all, arms int) bool {
	return readable > 0 && readable <= arms && readable < all && (readable <= 4 || 2*readable <= all)
}

// ParseDelete parses the query of a delete of object id: q's versions and
// spec versions select among the object's versions, whatever it says of
// ids, types and dates.
func ParseDelete(q liaison.ObjectQuery, id string) (Filter, error) {
	f, err := Parse(q)
	f.IDs, f.Types, f.After = []string{id}, nil, 0
	return f, err
}

// SQL is how a store writes a query's arguments: Arg binds a value and
// returns its placeholder; In returns the test that col is one of vals (a
// []string or []int64), bound as one argument.
type SQL interface {
	Arg(v any) string
	In(col string, vals any) string
}

// Where returns the WHERE clause (without ORDER or LIMIT) of versions v
// in the collection that f selects, binding through q. visible returns
// the audience test of v, readable that of another version aliased as
// alias: both test that the reader's organisation may read it. first and
// last are relative to what the reader may read, among the spec versions
// asked for.
func (f Filter) Where(q SQL, collection string, visible func() string, readable func(alias string) string) string {
	return f.where(q, `v.collection = `+q.Arg(collection), visible, readable)
}

// WhereIn is Where over several collections at once.
func (f Filter) WhereIn(q SQL, collections []string, visible func() string, readable func(alias string) string) string {
	return f.where(q, q.In("v.collection", collections), visible, readable)
}

func (f Filter) where(q SQL, inCollections string, visible func() string, readable func(alias string) string) string {
	var b strings.Builder
	b.WriteString(inCollections + ` AND ` + visible())
	if f.After != 0 {
		b.WriteString(` AND v.date_added_us > ` + q.Arg(f.After))
	}
	if f.Before != 0 {
		b.WriteString(` AND v.date_added_us < ` + q.Arg(f.Before))
	}
	if len(f.IDs) > 0 {
		// The stores index ids by key (stix.IDKey); the ids themselves
		// are tested too, as two may share a key.
		b.WriteString(` AND ` + q.In("v.idk", stix.IDKeys(f.IDs)))
	}
	for _, l := range []struct {
		col  string
		vals []string
	}{{"v.id", f.IDs}, {"v.type", f.Types}, {"v.spec_version", f.Specs}} {
		if len(l.vals) > 0 {
			b.WriteString(` AND ` + q.In(l.col, l.vals))
		}
	}
	// A later instance of a version (a write over a version hidden from
	// its writer) is read only by those who can read no earlier one, so
	// nobody who reads both gets two answers.
	b.WriteString(` AND (v.shadow = 0 OR NOT EXISTS (SELECT 1 FROM versions p WHERE p.idk = v.idk AND p.id = v.id AND p.collection = v.collection AND p.version_us = v.version_us AND p.date_added_us < v.date_added_us AND ` + readable("p") + `))`)
	if f.All {
		return b.String()
	}
	var alts []string
	extreme := func(cmp string) {
		s := `NOT EXISTS (SELECT 1 FROM versions n WHERE n.idk = v.idk AND n.id = v.id AND n.collection = v.collection AND n.version_us ` + cmp + ` v.version_us AND ` + readable("n")
		if len(f.Specs) > 0 {
			s += ` AND ` + q.In("n.spec_version", f.Specs)
		}
		alts = append(alts, s+`)`)
	}
	if f.First {
		extreme("<")
	}
	if f.Last {
		extreme(">")
		if f.Superseded {
			// Only the probe decides for a superseded version: the later
			// one may be hidden from this reader.
			alts[len(alts)-1] = `(v.superseded = 0 OR ` + alts[len(alts)-1] + `)`
		}
	}
	if len(f.Stamps) > 0 {
		alts = append(alts, q.In("v.version_us", f.Stamps))
	}
	b.WriteString(` AND (` + strings.Join(alts, ` OR `) + `)`)
	return b.String()
}
