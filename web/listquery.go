package web

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"liaison"
	"liaison/stix"
)

// Page sizes of the lists.
const (
	defaultListLimit = 50
	maxListLimit     = 200
	// scanPages bounds the store pages one list page reads when its rows
	// are filtered on the page: a filter that matches little shows a
	// short page and says so, rather than reading the whole collection.
	scanPages = 5
)

// listQuery is a list's filters as its URL spells them. The store
// applies types, ids, versions and the date added; the page applies the
// others to the rows the store returns.
type listQuery struct {
	Types       []string
	IDs         []string
	Version     string    // last (default), first or all
	AddedAfter  time.Time // zero: from the start
	AddedBefore time.Time // zero: to the end; the list stops at the first version added at or after it
	// Filters on the page's rows.
	TLP            string // "", "none", or a tlpSlug
	Classification string // "", "none", or a classSlug
	Label          string
	Originator     string
	Revoked        string // "", "yes", "no"
	// ReleasableTo keeps the versions whose markings' releasable_to
	// lists each include this organisation, or every member of this
	// community.
	ReleasableTo string
	// ModifiedAfter and ModifiedBefore bound the version (its modified
	// time); zero is no bound.
	ModifiedAfter, ModifiedBefore time.Time
	// ScoreMin and ScoreMax keep the indicators whose decay score now
	// (web/score.go), rounded, lies between them; -1 is no bound. Either
	// bound leaves out every object that is not an indicator.
	ScoreMin, ScoreMax int
	Limit              int
	// Newest lists the newest added first (sort=newest); the default is
	// oldest first (sort=oldest).
	Newest bool
	// Cursor says, per collection, after which date added (µs) the list
	// continues; newest first, before which.
	Cursor map[string]int64
}

var (
	typeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)
	orgRE  = regexp.MustCompile(`^[A-Z][A-Z0-9-]{0,40}$`)
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// listFields are the query parameters a list takes, in the order its
// links write them.
var listFields = []string{"type", "id", "version", "added_after", "added_before", "tlp", "classification", "label", "originator", "releasable_to", "revoked", "modified_after", "modified_before", "score_min", "score_max", "sort", "limit"}

// parseListQuery reads a list's query. A bad value is EINVALID naming
// the field and saying what it takes.
func parseListQuery(v url.Values) (listQuery, error) {
	q := listQuery{Version: liaison.VersionLast, Limit: defaultListLimit, ScoreMin: -1, ScoreMax: -1}
	for k := range v {
		if k != "cursor" && !slices.Contains(listFields, k) {
			return q, liaison.Errorf(liaison.EINVALID, "field %s is unknown: a list takes %s and cursor", truncate(k, 40), strings.Join(listFields, ", "))
		}
	}
	for _, t := range splitValues(v["type"]) {
		if !typeRE.MatchString(t) {
			return q, liaison.Errorf(liaison.EINVALID, "field type: %q is not a STIX type name (lower-case letters, digits and hyphens)", truncate(t, 60))
		}
		q.Types = append(q.Types, t)
	}
	for _, id := range splitValues(v["id"]) {
		if _, _, ok := stix.SplitID(id); !ok {
			return q, liaison.Errorf(liaison.EINVALID, "field id: %q is not a STIX id (type--UUID)", truncate(id, 80))
		}
		q.IDs = append(q.IDs, id)
	}
	if len(q.IDs) > 100 {
		return q, liaison.Errorf(liaison.EINVALID, "field id: %d ids; a list takes at most 100", len(q.IDs))
	}
	switch ver := v.Get("version"); ver {
	case "", liaison.VersionLast:
	case liaison.VersionFirst, liaison.VersionAll:
		q.Version = ver
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field version: %q is not last, first or all", truncate(ver, 40))
	}
	var err error
	if q.AddedAfter, err = parseWhen("added_after", v.Get("added_after")); err != nil {
		return q, err
	}
	if q.AddedBefore, err = parseWhen("added_before", v.Get("added_before")); err != nil {
		return q, err
	}
	if !q.AddedAfter.IsZero() && !q.AddedBefore.IsZero() && !q.AddedBefore.After(q.AddedAfter) {
		return q, liaison.Errorf(liaison.EINVALID, "field added_before must be later than added_after")
	}
	switch t := v.Get("tlp"); t {
	case "", "none", "clear", "green", "amber", "amber-strict", "red":
		q.TLP = t
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field tlp: %q is not none, clear, green, amber, amber-strict or red", truncate(t, 40))
	}
	if c := v.Get("classification"); c != "" {
		if c != "none" && classFromSlug(c) == liaison.NoClassification {
			return q, liaison.Errorf(liaison.EINVALID, "field classification: %q is not none, nato-unclassified, nato-restricted, nato-confidential, nato-secret or cosmic-top-secret", truncate(c, 40))
		}
		q.Classification = c
	}
	if l := v.Get("label"); l != "" {
		if !utf8.ValidString(l) || len(l) > 200 {
			return q, liaison.Errorf(liaison.EINVALID, "field label: want text of at most 200 bytes")
		}
		q.Label = l
	}
	if o := v.Get("originator"); o != "" {
		if !orgRE.MatchString(o) {
			return q, liaison.Errorf(liaison.EINVALID, "field originator: %q is not an organisation code such as JPN or NATO-IS", truncate(o, 40))
		}
		q.Originator = o
	}
	if r := v.Get("releasable_to"); r != "" {
		if !orgRE.MatchString(r) {
			return q, liaison.Errorf(liaison.EINVALID, "field releasable_to: %q is not an organisation or community code such as JPN or IP4", truncate(r, 40))
		}
		q.ReleasableTo = r
	}
	if q.ModifiedAfter, err = parseWhen("modified_after", v.Get("modified_after")); err != nil {
		return q, err
	}
	if q.ModifiedBefore, err = parseWhen("modified_before", v.Get("modified_before")); err != nil {
		return q, err
	}
	if !q.ModifiedAfter.IsZero() && !q.ModifiedBefore.IsZero() && !q.ModifiedBefore.After(q.ModifiedAfter) {
		return q, liaison.Errorf(liaison.EINVALID, "field modified_before must be later than modified_after")
	}
	switch rv := v.Get("revoked"); rv {
	case "", "yes", "no":
		q.Revoked = rv
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field revoked: %q is not yes or no", truncate(rv, 40))
	}
	for _, f := range []struct {
		name string
		to   *int
	}{{"score_min", &q.ScoreMin}, {"score_max", &q.ScoreMax}} {
		sv := strings.TrimSpace(v.Get(f.name))
		if sv == "" {
			continue
		}
		n, err := strconv.Atoi(sv)
		if err != nil || n < 0 || n > maxScore {
			return q, liaison.Errorf(liaison.EINVALID, "field %s: %q is not a score, a whole number from 0 to %d", f.name, truncate(sv, 40), maxScore)
		}
		*f.to = n
	}
	if q.ScoreMin >= 0 && q.ScoreMax >= 0 && q.ScoreMax < q.ScoreMin {
		return q, liaison.Errorf(liaison.EINVALID, "field score_max (%d) is below score_min (%d)", q.ScoreMax, q.ScoreMin)
	}
	switch so := v.Get("sort"); so {
	case "", "oldest":
	case "newest":
		q.Newest = true
	default:
		return q, liaison.Errorf(liaison.EINVALID, "field sort: %q is not newest or oldest", truncate(so, 40))
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxListLimit {
			return q, liaison.Errorf(liaison.EINVALID, "field limit: %q is not a number from 1 to %d", truncate(l, 40), maxListLimit)
		}
		q.Limit = n
	}
	if q.Cursor, err = parseCursor(v.Get("cursor")); err != nil {
		return q, err
	}
	return q, nil
}

// splitValues splits each value on commas and drops empty entries.
func splitValues(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseWhen reads a time a person types or a date input sends: RFC 3339,
// a date and time without a zone (UTC), or a date (midnight UTC).
func parseWhen(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1900 || t.Year() > 9999 {
				break
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, liaison.Errorf(liaison.EINVALID, "field %s: %q is not a date (2024-03-01), a date and time in UTC (2024-03-01T09:30) or an RFC 3339 timestamp", field, truncate(s, 60))
}

// parseCursor reads "collection_µs.collection_µs…".
func parseCursor(s string) (map[string]int64, error) {
	if s == "" {
		return nil, nil
	}
	bad := liaison.Errorf(liaison.EINVALID, "field cursor: %q is not a cursor this server gave out; start again from the first page", truncate(s, 60))
	parts := strings.Split(s, ".")
	if len(parts) > 1000 {
		return nil, bad
	}
	out := map[string]int64{}
	for _, p := range parts {
		id, us, ok := strings.Cut(p, "_")
		if !ok || !uuidRE.MatchString(id) {
			return nil, bad
		}
		n, err := strconv.ParseInt(us, 10, 64)
		if err != nil || n < 0 {
			return nil, bad
		}
		out[id] = n
	}
	return out, nil
}

// encodeCursor writes a cursor for the collections in order.
func encodeCursor(ids []string, after map[string]int64) string {
	var parts []string
	for _, id := range ids {
		if us, ok := after[id]; ok {
			parts = append(parts, id+"_"+strconv.FormatInt(us, 10))
		}
	}
	return strings.Join(parts, ".")
}

// values returns the query's filters as URL values, without the cursor.
func (q listQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("type", strings.Join(q.Types, ","))
	set("id", strings.Join(q.IDs, ","))
	if q.Version != liaison.VersionLast {
		set("version", q.Version)
	}
	if !q.AddedAfter.IsZero() {
		set("added_after", q.AddedAfter.Format(time.RFC3339Nano))
	}
	if !q.AddedBefore.IsZero() {
		set("added_before", q.AddedBefore.Format(time.RFC3339Nano))
	}
	set("tlp", q.TLP)
	set("classification", q.Classification)
	set("label", q.Label)
	set("originator", q.Originator)
	set("releasable_to", q.ReleasableTo)
	set("revoked", q.Revoked)
	if !q.ModifiedAfter.IsZero() {
		set("modified_after", q.ModifiedAfter.Format(time.RFC3339Nano))
	}
	if !q.ModifiedBefore.IsZero() {
		set("modified_before", q.ModifiedBefore.Format(time.RFC3339Nano))
	}
	if q.ScoreMin >= 0 {
		set("score_min", strconv.Itoa(q.ScoreMin))
	}
	if q.ScoreMax >= 0 {
		set("score_max", strconv.Itoa(q.ScoreMax))
	}
	if q.Newest {
		set("sort", "newest")
	}
	if q.Limit != defaultListLimit {
		set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// rowFiltered reports whether the page filters the store's rows.
func (q listQuery) rowFiltered() bool {
	return q.TLP != "" || q.Classification != "" || q.Label != "" || q.Originator != "" || q.Revoked != "" || q.scored() ||
		q.ReleasableTo != "" || !q.ModifiedAfter.IsZero() || !q.ModifiedBefore.IsZero()
}

// scored reports whether the list filters on the decay score.
func (q listQuery) scored() bool { return q.ScoreMin >= 0 || q.ScoreMax >= 0 }

// scoreIn reports whether a rounded score lies within the bounds.
func (q listQuery) scoreIn(score int) bool {
	return (q.ScoreMin < 0 || score >= q.ScoreMin) && (q.ScoreMax < 0 || score <= q.ScoreMax)
}

// maxScore bounds what score_min and score_max take: no configured base
// score is above it.
const maxScore = 1000

// filtered reports whether any filter is set.
func (q listQuery) filtered() bool {
	return q.rowFiltered() || len(q.Types) > 0 || len(q.IDs) > 0 || q.Version != liaison.VersionLast || !q.AddedAfter.IsZero() || !q.AddedBefore.IsZero()
}

// storeQuery is the store's part of the query, continuing after µs
// (newest first: before µs, 0 meaning from the newest).
func (q listQuery) storeQuery(atUS int64, limit int) liaison.ObjectQuery {
	oq := liaison.ObjectQuery{Types: q.Types, IDs: q.IDs, Versions: []string{q.Version}, Limit: limit}
	if q.Newest {
		oq.Newest, oq.AddedAfter, oq.AddedBefore = true, q.AddedAfter, q.AddedBefore
		if atUS > 0 && (oq.AddedBefore.IsZero() || atUS < oq.AddedBefore.UnixMicro()) {
			oq.AddedBefore = time.UnixMicro(atUS).UTC()
		}
		return oq
	}
	if atUS > 0 {
		oq.AddedAfter = time.UnixMicro(atUS).UTC()
	}
	return oq
}

// startUS is where a collection's list starts: after its cursor, or
// after added_after; newest first, before its cursor, or 0 (from the
// newest, within added_before).
func (q listQuery) startUS(coll string) int64 {
	if q.Newest {
		return q.Cursor[coll]
	}
	var us int64
	if !q.AddedAfter.IsZero() {
		us = q.AddedAfter.UnixMicro()
	}
	if c, ok := q.Cursor[coll]; ok && c > us {
		us = c
	}
	return us
}

// matches applies the page's filters to one row: v's label l and fields
// f. expand names the members of organisations and communities (the
// directory's Expand), for releasable_to.
func (q listQuery) matches(v liaison.Version, l label, f rowFields, expand func(...string) liaison.Audience) bool {
	switch {
	case !q.ModifiedAfter.IsZero() && !v.Modified.After(q.ModifiedAfter),
		!q.ModifiedBefore.IsZero() && !v.Modified.Before(q.ModifiedBefore):
		return false
	case q.ReleasableTo != "" && !releasableTo(l.Lists, expand(q.ReleasableTo), expand):
		return false
	case q.TLP == "none" && l.TLP != liaison.TLPNone,
		q.TLP != "" && q.TLP != "none" && tlpSlug(l.TLP) != q.TLP:
		return false
	case q.Classification == "none" && l.Classification != liaison.NoClassification,
		q.Classification != "" && q.Classification != "none" && classSlug(l.Classification) != q.Classification:
		return false
	case q.Label != "" && !slices.Contains(f.Labels, q.Label):
		return false
	case q.Originator != "" && l.Originator != q.Originator:
		return false
	case q.Revoked == "yes" && !f.Revoked, q.Revoked == "no" && f.Revoked:
		return false
	}
	return true
}

func classFromSlug(s string) liaison.Classification {
	for c := liaison.NATOUnclassified; c <= liaison.CosmicTopSecret; c++ {
		if classSlug(c) == s {
			return c
		}
	}
	return liaison.NoClassification
}

// releasableTo reports whether every releasable_to list of a version's
// markings includes every one of want. A version with no such list, or an
// unknown want, is not releasable to it in this sense: the filter finds
// what its markings release to someone.
func releasableTo(lists [][]string, want liaison.Audience, expand func(...string) liaison.Audience) bool {
	if len(lists) == 0 || len(want) == 0 {
		return false
	}
	for _, list := range lists {
		got := expand(list...)
		for _, org := range want {
			if !got.Contains(org) {
				return false
			}
		}
	}
	return true
}
