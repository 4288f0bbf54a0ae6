package federation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"liaison"
)

// Witnessing over the peer endpoint (ARCHITECTURE.md, "Audit"): the
// pulling office is the witness of the serving office's audit log. It
// reads {prefix}audit/checkpoint (the newest signed checkpoint, a note)
// and {prefix}audit/consistency?old=N&new=M (a consistency proof, JSON),
// and posts the checkpoint it cosigned to {prefix}audit/cosignature.

// AuditLog is the serving office's audit log as the peer endpoint serves
// it to witnesses (audit.PeerLog).
type AuditLog interface {
	Checkpoint(ctx context.Context) ([]byte, error)
	Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error)
	AddCosignature(ctx context.Context, peer, witnessKey string, msg []byte) error
}

// ConsistencyProof is a consistency proof on the wire.
type ConsistencyProof struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"` // base64 hashes
}

// Cosignature is a witness's cosigned checkpoint on the wire.
type Cosignature struct {
	Key  string `json:"key"`  // the witness's public key (a C2SP vkey of type 0x04)
	Note string `json:"note"` // the checkpoint with its cosignature line
}

// maxCosignature bounds the body of a posted cosignature.
const maxCosignature = 64 << 10

// serveAudit answers the witness resources; ok false when path is none.
func (s *Server) serveAudit(w http.ResponseWriter, r *http.Request, peer liaison.PeerGrant, path string) bool {
	switch path {
	case "audit/checkpoint", "audit/consistency", "audit/cosignature":
	default:
		return false
	}
	if s.Audit == nil {
		s.fail(w, liaison.NotFound("peer resource", path))
		return true
	}
	want := http.MethodGet
	if path == "audit/cosignature" {
		want = http.MethodPost
	}
	if r.Method != want {
		w.Header().Set("Allow", want)
		write(w, http.StatusMethodNotAllowed, Error{Title: path + " answers " + want + " only", HTTPStatus: "405"})
		return true
	}
	ctx := r.Context()
	switch path {
	case "audit/checkpoint":
		msg, err := s.Audit.Checkpoint(ctx)
		if err != nil {
			s.fail(w, err)
			return true
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(msg)
	case "audit/consistency":
		q := r.URL.Query()
		var sizes [2]int64
		for i, name := range []string{"old", "new"} {
			n, err := strconv.ParseInt(q.Get(name), 10, 64)
			if err != nil || n < 0 {
				s.fail(w, liaison.Errorf(liaison.EINVALID, "%s %q is not a tree size (a whole number, 0 or more)", name, q.Get(name)))
				return true
			}
			sizes[i] = n
		}
		proof, err := s.Audit.Consistency(ctx, sizes[0], sizes[1])
		if err != nil {
			s.fail(w, err)
			return true
		}
		out := ConsistencyProof{Old: sizes[0], New: sizes[1], Proof: []string{}}
		for _, h := range proof {
			out.Proof = append(out.Proof, base64.StdEncoding.EncodeToString(h[:]))
		}
		write(w, http.StatusOK, out)
	case "audit/cosignature":
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCosignature))
		if err != nil {
			s.fail(w, liaison.Errorf(liaison.EINVALID, "the cosignature body is over %d bytes or broken: %v", maxCosignature, err))
			return true
		}
		var c Cosignature
		if err := json.Unmarshal(body, &c); err != nil || c.Key == "" || c.Note == "" {
			s.fail(w, liaison.Errorf(liaison.EINVALID, "the cosignature body must be JSON with a witness key (key) and the cosigned checkpoint (note)"))
			return true
		}
		if err := s.Audit.AddCosignature(ctx, peer.Name, c.Key, []byte(c.Note)); err != nil {
			s.fail(w, err)
			return true
		}
		w.WriteHeader(http.StatusNoContent)
	}
	return true
}

// peerLog is a peer's audit log reached over its peer endpoint: the
// audit.Source a witness reads.
type peerLog struct {
	p  *Puller
	pp liaison.PeerPull
}

func (l peerLog) Checkpoint(ctx context.Context) ([]byte, error) {
	body, _, err := l.p.do(ctx, l.pp, http.MethodGet, "audit/checkpoint", nil, nil)
	return body, err
}

func (l peerLog) Consistency(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	var out ConsistencyProof
	q := url.Values{"old": {strconv.FormatInt(old, 10)}, "new": {strconv.FormatInt(new, 10)}}
	if _, err := l.p.get(ctx, l.pp, "audit/consistency", q, &out); err != nil {
		return nil, err
	}
	proof := make(tlog.TreeProof, 0, len(out.Proof))
	for i, b := range out.Proof {
		h, err := base64.StdEncoding.DecodeString(b)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("peer %s: hash %d of the consistency proof is not %d bytes of base64", l.pp.Name, i, tlog.HashSize)
		}
		proof = append(proof, tlog.Hash(h))
	}
	return proof, nil
}

func (l peerLog) Cosigned(ctx context.Context, witnessKey string, msg []byte) error {
	b, err := json.Marshal(Cosignature{Key: witnessKey, Note: string(msg)})
	if err != nil {
		return errors.New("encode the cosignature")
	}
	_, _, err = l.p.do(ctx, l.pp, http.MethodPost, "audit/cosignature", nil, b)
	return err
}
