package leaktest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"liaison"
)

// MatchPaths are the matching paths: Store.Match over every address that
// any indicator of the world matches, and, in the last phase, the
// sightings Match records. Put them after every other path: in the last
// phase they write.
func MatchPaths() []ReadPath { return []ReadPath{storeMatch{}} }

type storeMatch struct{}

func (storeMatch) Name() string { return "store/match" }

// indicatorIP is how the generator writes every indicator's pattern; the
// reference reads the address back from the bytes, independently of the
// matcher.
var indicatorIP = regexp.MustCompile(`\[ipv4-addr:value = '([0-9.]+)'\]`)

func ipOf(raw []byte) string {
	var o struct {
		Pattern string `json:"pattern"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return ""
	}
	m := indicatorIP.FindStringSubmatch(o.Pattern)
	if m == nil {
		return ""
	}
	return m[1]
}

// scoID is the id of the lone ipv4-addr observation of an address.
func scoID(ip string) string {
	var b [4]byte
	fmt.Sscanf(ip, "%d.%d.%d.%d", &b[0], &b[1], &b[2], &b[3])
	return fmt.Sprintf("ipv4-addr--%02x%02x%02x%02x-0000-4000-8000-000000000000", b[0], b[1], b[2], b[3])
}

func observations(ips []string) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(ips))
	for _, ip := range ips {
		out = append(out, json.RawMessage(fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":%q}`, scoID(ip), ip)))
	}
	return out
}

func (storeMatch) Check(e *Env, r *User) {
	// Every address any stored indicator version matches, the hidden ones
	// included, and one no indicator matches.
	seen := map[string]bool{}
	var ips []string
	for _, o := range e.World.Objs {
		if o.Type == "indicator" && e.World.stored(o) {
			if ip := ipOf(o.Raw); ip != "" && !seen[ip] {
				seen[ip] = true
				ips = append(ips, ip)
			}
		}
	}
	ips = append(ips, "192.0.2.1")
	want := map[string]bool{}
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c, Last) {
			if o.Type == "indicator" && seen[ipOf(o.Raw)] {
				want[matchKey(c.ID, o.ID, o.Modified.UnixMicro())] = true
			}
		}
	}
	e.stats.Reads.Add(1)
	res, err := e.Store.Match(e.Ctx(), r.Principal, liaison.MatchRequest{Objects: observations(ips)})
	if err != nil {
		e.Errorf(r, "Match: %v", err)
		return
	}
	got := map[string]bool{}
	for _, m := range res.Matches {
		k := matchKey(m.Collection, m.Indicator, m.Version.UnixMicro())
		e.stats.Versions.Add(1)
		if got[k] {
			e.Errorf(r, "Match: %s returned twice", k)
		}
		got[k] = true
		if !want[k] {
			e.Errorf(r, "LEAK store/match: matched %s, which the reference hides or is not the latest version this reader reads there", k)
		}
	}
	for k := range want {
		if !got[k] {
			e.Errorf(r, "Match: missing %s, which the reader reads and the batch matches", k)
		}
	}
	if res.Observations != len(ips) {
		e.Errorf(r, "Match: %d observations counted, %d sent", res.Observations, len(ips))
	}

	// A collection the reader may neither read nor write, and one that
	// does not exist, answer alike.
	for _, c := range e.World.Collections {
		if e.MayReadCollection(r.Principal, c) || e.MayWriteCollection(r.Principal, c) {
			continue
		}
		missing := strings.TrimPrefix(e.Missing("x--"), "x--")
		_, hidden := e.Store.Match(e.Ctx(), r.Principal, liaison.MatchRequest{Objects: observations(ips[:1]), Collection: c.ID})
		_, gone := e.Store.Match(e.Ctx(), r.Principal, liaison.MatchRequest{Objects: observations(ips[:1]), Collection: missing})
		sameNotFound(e, r, "Match(collection)", hidden, c.ID, gone, missing)
		break
	}
	if e.Final {
		recordSighting(e, r)
	}
}

func matchKey(coll, id string, us int64) string { return fmt.Sprintf("%s/%s@%d", coll, id, us) }

// recordSighting records a match of an indicator in a collection, as r
// if r may read and write one that holds an indicator r reads, else as
// the first user of the world (in a random order) who may, and checks
// who reads the sighting: those who may read the collection, the
// sighting's markings (those of the indicator version matched, carried
// over; else the collection's default) and the indicator itself (rule
// 9), and nobody else.
func recordSighting(e *Env, rd *User) {
	users := slices.Clone(e.World.Users)
	e.rand.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	for _, r := range append([]*User{rd}, users...) {
		if recordAs(e, rd, r) {
			return
		}
	}
}

// recordAs is recordSighting as r; it reports whether r could record.
func recordAs(e *Env, rd, r *User) bool {
	for _, c := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c) || !e.MayWriteCollection(r.Principal, c) {
			continue
		}
		var ind *Obj
		for _, o := range e.Expected(r.Principal, c, Last) {
			if o.Type == "indicator" && ipOf(o.Raw) != "" {
				ind = o
				break
			}
		}
		if ind == nil {
			continue
		}
		e.stats.Reads.Add(1)
		res, err := e.Store.Match(e.Ctx(), r.Principal, liaison.MatchRequest{Objects: observations([]string{ipOf(ind.Raw)}), Collection: c.ID, Record: true})
		if err != nil {
			e.Errorf(rd, "Match(record) as %s in %s: %v", r.Name, c.Key, err)
			return true
		}
		var sid string
		for _, m := range res.Matches {
			if m.Indicator == ind.ID {
				sid = m.Sighting
			}
		}
		if sid == "" {
			e.Errorf(rd, "Match(record) as %s in %s: no sighting of %s recorded: %+v", r.Name, c.Key, ind.ID, res)
			return true
		}
		marks := slices.Clone(ind.MarkingRefs)
		if len(marks) == 0 && c.DefaultMarking != "" {
			marks = []string{c.DefaultMarking}
		}
		for _, q := range e.Readers() {
			want := e.ref.mayReadCollection(q.Org, c) && e.ref.markingsRelease(q.Org, r.Org, marks) && e.ref.readsEnd(q.Org, ind.ID)
			e.stats.Reads.Add(1)
			pg, err := e.Store.Objects(e.Ctx(), q.Principal, c.ID, liaison.ObjectQuery{IDs: []string{sid}})
			if liaison.ErrorCode(err) == liaison.ENOTFOUND {
				pg, err = liaison.ObjectPage{}, nil
			}
			if err != nil {
				e.Errorf(rd, "read the sighting as %s: %v", q.Org, err)
				continue
			}
			switch got := len(pg.Versions) > 0; {
			case got && !want:
				e.Errorf(rd, "LEAK store/match: %s (%s) reads the sighting %s of %s recorded by %s in %s, which the reference hides", q.Name, q.Org, sid, ind.ID, r.Org, c.Key)
			case !got && want:
				e.Errorf(rd, "%s (%s) does not read the sighting %s of %s recorded by %s in %s", q.Name, q.Org, sid, ind.ID, r.Org, c.Key)
			}
		}
		e.stats.Probes.Add(1)
		return true
	}
	return false
}

// sightedIndicator returns an indicator among ids that some stored
// sighting names, or "".
func sightedIndicator(e *Env, byID map[string][]*Obj, ids []string) string {
	named := map[string]bool{}
	for _, o := range e.World.Objs {
		if o.Type == "sighting" && len(o.Ends) > 0 && e.World.stored(o) {
			named[o.Ends[0]] = true
		}
	}
	for _, id := range ids {
		if byID[id][0].Type == "indicator" && named[id] {
			return id
		}
	}
	return ""
}

var (
	scoreSightingsRE = regexp.MustCompile(`data-sightings="(\d+)"`)
	scoreSinceRE     = regexp.MustCompile(`data-since="([^"]+)"`)
)

// checkScore checks an indicator page's score against the reference: the
// sightings it counts are exactly those of the indicator the reader may
// read (the latest version of each, in every collection the reader
// reads), and its clock restarts at the latest of them, so that the
// score never tells of a hidden sighting.
func checkScore(e *Env, r *User, c *Coll, where, id, body string) {
	m := scoreSightingsRE.FindStringSubmatch(body)
	s := scoreSinceRE.FindStringSubmatch(body)
	if m == nil || s == nil {
		if n, _ := scoreWant(e, r, id); n <= 100 {
			e.Errorf(r, "web %s %s: the indicator's page has no score", c.Key, where)
		}
		return
	}
	compareScore(e, r, c, where, id, m[1], s[1])
}

// scoreWant returns how many sightings of the indicator id the reader
// may read, and the latest of their times (valid_from when none).
func scoreWant(e *Env, r *User, id string) (int, time.Time) {
	var n int
	latest := stixCreated // every generated indicator's valid_from
	now := time.Now()     // the pages' clock (webServerFor gives them no other)
	for _, c2 := range e.World.Collections {
		if !e.MayReadCollection(r.Principal, c2) {
			continue
		}
		for _, o := range e.Expected(r.Principal, c2, Last) {
			if o.Type == "sighting" && len(o.Ends) > 0 && o.Ends[0] == id {
				n++
				if o.Modified.After(latest) && !o.Modified.After(now) {
					latest = o.Modified
				}
			}
		}
	}
	return n, latest
}

// compareScore compares the sightings a score counts and when its clock
// started, as a page shows them, with the reference.
func compareScore(e *Env, r *User, c *Coll, where, id, sightings, since string) {
	n, latest := scoreWant(e, r, id)
	if n > 100 {
		return // past what one page of links shows
	}
	e.stats.Probes.Add(1)
	if sightings != fmt.Sprint(n) {
		e.Errorf(r, "LEAK web %s %s: the score of %s counts %s sightings, the reader may read %d", c.Key, where, id, sightings, n)
	}
	if want := latest.UTC().Format(time.RFC3339Nano); since != want {
		e.Errorf(r, "LEAK web %s %s: the score of %s starts its clock at %s, want %s (the latest sighting the reader may read, else valid_from)", c.Key, where, id, since, want)
	}
}
