// Package audit is the office's tamper-evident audit log: every read and
// write becomes an entry, a leaf of an RFC 6962 Merkle tree kept in the
// store, and the office signs checkpoints of the tree (C2SP signed notes)
// that anyone holding its public key can check.
//
// Entries are appended in batches by a background appender (Log), so a
// read pays for handing its entry to a queue and nothing more. The tree's
// hashes are stored at golang.org/x/mod/sumdb/tlog's stored-hash indexes,
// so proofs and checkpoints need no recomputation. Store wraps a
// liaison.Store so that every method records what it did, for whom and on
// which path (set once per request by Paths).
//
// Who reads the audit: the office's operators, through the command line
// (which holds the database itself, like liaison.Snapshotter), and nobody
// else. No HTTP path serves entries; GET /audit/checkpoint serves only the
// signed tree size and root hash.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// The actions an entry records.
const (
	ActionRead         = "read"           // versions (or consultations, proposals) returned to a reader
	ActionWrite        = "write"          // object versions written, present already, or conflicting
	ActionReject       = "reject"         // object versions refused by a write
	ActionDelete       = "delete"         // object versions deleted
	ActionDirectory    = "directory"      // organisations, communities, agreements changed (each recomputes audiences)
	ActionRecompute    = "recompute"      // every audience recomputed on request
	ActionUser         = "user"           // a user created, disabled or enabled, or their password or roles changed
	ActionCollection   = "collection"     // a collection created or edited
	ActionTokenCreate  = "token-create"   // an API token made
	ActionTokenRevoke  = "token-revoke"   // an API token revoked
	ActionSignIn       = "sign-in"        // a password or token accepted
	ActionSignInFailed = "sign-in-failed" // a password refused
	ActionConsultation = "consultation"   // a consultation or contribution action
	ActionDecision     = "decision"       // a proposal made or acted on
	ActionPeer         = "peer"           // a peer office granted, removed, or set up to pull from
)

// The paths an entry was taken on.
const (
	PathTAXII    = "taxii"
	PathAPI      = "api"
	PathPages    = "pages"
	PathSearch   = "search"
	PathExport   = "export"
	PathGraph    = "graph"
	PathCommand  = "command" // the operator command line, or the server itself
	PathPeer     = "peer"    // federation: served to a peer office, or received from one
	OutcomeOK    = "ok"
	OperatorName = "operator" // who acted when no principal did: the command line
)

// Ref names one thing an entry is about: an object version (ID and its
// modified time), or a consultation, contribution or proposal
// ("consultation/12"). Note says what became of it where that differs
// from the entry's action (a rejection's message, "present"). In a leaf
// it is an array, [id, version] or [id, version, note]: a write names
// one a version, and so did a read before reads named what they served
// by instance (Served).
type Ref struct {
	ID      string
	Version string
	Note    string
}

// MarshalJSON writes the ref as an array.
func (r Ref) MarshalJSON() ([]byte, error) {
	a := []string{r.ID, r.Version}
	if r.Note != "" {
		a = append(a, r.Note)
	}
	return json.Marshal(a)
}

// UnmarshalJSON reads the array MarshalJSON writes.
func (r *Ref) UnmarshalJSON(b []byte) error {
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("a ref is an array of strings: %w", err)
	}
	if len(a) < 2 || len(a) > 3 || a[0] == "" {
		return fmt.Errorf("a ref is [id, version] or [id, version, note], not %d strings", len(a))
	}
	r.ID, r.Version = a[0], a[1]
	if len(a) == 3 {
		r.Note = a[2]
	}
	return nil
}

// Entry is one audit record. Its JSON encoding (Encode) is the leaf of
// the tree; the columns stored beside it only index it.
type Entry struct {
	Index      int64     `json:"-"` // its place in the tree, set when appended
	Time       time.Time `json:"at"`
	Principal  string    `json:"principal"`
	Org        string    `json:"org,omitempty"`
	Action     string    `json:"action"`
	Path       string    `json:"path"`
	Route      string    `json:"route,omitempty"` // the HTTP route, when there was one
	Op         string    `json:"op"`              // the store operation
	Collection string    `json:"collection,omitempty"`
	Outcome    string    `json:"outcome"` // "ok" or an error code
	Detail     string    `json:"detail,omitempty"`
	Refs       []Ref     `json:"refs,omitempty"`
	// Served names the object versions a read returned by instance,
	// compactly (Served); a read entry of versions names them here
	// rather than in Refs. Entries before it name each version in Refs.
	Served []Served `json:"served,omitempty"`
}

// Encode is the entry's leaf: its JSON, with the time in UTC to the
// microsecond, as the store keeps it. The refs are written by hand: a
// write names a thousand of them, and reflection on each was a fifth of
// the appender's time.
func (e Entry) Encode() ([]byte, error) {
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	refs := e.Refs
	e.Refs = nil
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("audit: encode entry: %w", err)
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(refs) == 0 {
		return out, nil
	}
	out = append(out[:len(out)-1], `,"refs":[`...)
	for i, r := range refs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '[')
		out = appendString(out, r.ID)
		out = append(out, ',')
		out = appendString(out, r.Version)
		if r.Note != "" {
			out = append(out, ',')
			out = appendString(out, r.Note)
		}
		out = append(out, ']')
	}
	return append(out, "]}"...), nil
}

// appendString appends s as a JSON string, invalid UTF-8 replaced by
// U+FFFD as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Decode reads a leaf back into an entry at index i.
func Decode(i int64, data []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("audit: entry %d is not a well-formed entry: %w", i, err)
	}
	for _, sv := range e.Served {
		if _, err := sv.Times(); err != nil {
			return Entry{}, fmt.Errorf("audit: entry %d is not a well-formed entry: %w", i, err)
		}
	}
	e.Index = i
	return e, nil
}

// ObjectKey is the key of an object id in the refs index: the first 8
// bytes of its SHA-256, as a signed integer. An integer key makes the
// index's b-tree small and its compares cheap; a reader of the index
// checks the leaf's ids, so a collision only costs a leaf read.
func ObjectKey(id string) int64 {
	h := sha256.Sum256([]byte(id))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// ObjectKeys are the distinct keys of the entry in the refs index,
// sorted: those of the ids its refs name, and one a collection and
// bucket of date_added (ServedKey) its served versions came from.
func (e Entry) ObjectKeys() []int64 {
	var keys []int64
	for _, id := range e.ObjectIDs() {
		keys = append(keys, ObjectKey(id))
	}
	for _, s := range e.Served {
		keys = append(keys, s.keys()...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Names reports whether the entry names the object id.
func (e Entry) Names(id string) bool {
	for _, r := range e.Refs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// ObjectIDs are the distinct ids the entry names, in order.
func (e Entry) ObjectIDs() []string {
	var ids []string
	seen := map[string]bool{}
	for _, r := range e.Refs {
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	return ids
}
