package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"liaison/core"
)

// Checkpoint is one signed checkpoint of the tree: the C2SP
// tlog-checkpoint body (origin, size, base64 root hash) in a C2SP signed
// note. A witness's cosignature is one more signature line on the same
// note, so a cosigned checkpoint is stored and served as it is.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Signed time.Time // when the office signed it
	Note   []byte    // the signed note, as served and stored
}

// checkpointBody is the C2SP checkpoint body.
func checkpointBody(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// parseBody reads a C2SP checkpoint body; extension lines after the root
// hash are allowed and ignored.
func parseBody(text string) (origin string, size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return "", 0, root, errors.New("a checkpoint needs an origin line, a size line and a root hash line")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return "", 0, root, fmt.Errorf("checkpoint size %q is not a decimal count", lines[1])
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return "", 0, root, fmt.Errorf("checkpoint root hash %q is not %d bytes of base64", lines[2], tlog.HashSize)
	}
	copy(root[:], h)
	return lines[0], size, root, nil
}

// OpenCheckpoint checks a signed checkpoint with the office's verifier
// (other signatures, such as witnesses' cosignatures, may be present)
// and reads it.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signature does not verify with %s: %w", v.Name(), err)
	}
	origin, size, root, err := parseBody(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("origin %q is not the key's %q", origin, v.Name())
	}
	return Checkpoint{Origin: origin, Size: size, Root: root, Note: msg}, nil
}

// signCheckpoint signs a checkpoint of the tree as tx sees it, if it has
// grown since the newest stored checkpoint, after proving the new tree
// consistent with that checkpoint from the stored hashes: the office
// never signs a history that contradicts one it signed before. It
// returns the new checkpoint, or nil when there was nothing new.
func signCheckpoint(tx core.Tx, k *Key, now time.Time) (*Checkpoint, error) {
	// The head's lock makes signers in several processes take turns.
	size, err := lockHead(tx)
	if err != nil {
		return nil, err
	}
	prev, err := latestCheckpoint(tx)
	if err != nil {
		return nil, err
	}
	if size == 0 || (prev != nil && prev.Size >= size) {
		return nil, nil
	}
	r := hashReader{tx: tx}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return nil, fmt.Errorf("root hash at size %d: %w", size, err)
	}
	if prev != nil {
		if _, err := OpenCheckpoint(prev.Note, k.Verifier); err != nil {
			return nil, fmt.Errorf("refusing to sign: the newest stored checkpoint (size %d) is not this office's: %w", prev.Size, err)
		}
		proof, err := tlog.ProveTree(size, prev.Size, r)
		if err != nil {
			return nil, fmt.Errorf("prove size %d consistent with %d: %w", size, prev.Size, err)
		}
		if err := tlog.CheckTree(proof, size, root, prev.Size, prev.Root); err != nil {
			return nil, fmt.Errorf("refusing to sign: the tree of size %d is not consistent with the checkpoint of size %d: %w", size, prev.Size, err)
		}
	}
	msg, err := note.Sign(&note.Note{Text: checkpointBody(k.Origin, size, root)}, k.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	c := &Checkpoint{Origin: k.Origin, Size: size, Root: root, Signed: now, Note: msg}
	if _, err := tx.Exec(`INSERT INTO audit_checkpoints (size, signed_us, note) VALUES (?, ?, ?)`, size, core.Micros(now), string(msg)); err != nil {
		return nil, fmt.Errorf("store checkpoint of size %d: %w", size, err)
	}
	return c, nil
}

// latestCheckpoint is the stored checkpoint of the largest size, or nil.
// Its note is parsed but not verified.
func latestCheckpoint(tx core.Tx) (*Checkpoint, error) {
	cs, err := checkpoints(tx, `ORDER BY size DESC LIMIT 1`)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

// checkpoints reads stored checkpoints (rest orders and limits them).
// Each note's body is parsed but its signature not checked; a body that
// does not parse is an error naming the checkpoint.
func checkpoints(tx core.Tx, rest string) ([]Checkpoint, error) {
	rows, err := tx.Query(`SELECT size, signed_us, note FROM audit_checkpoints ` + rest)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var c Checkpoint
		var us int64
		var msg string
		if err := rows.Scan(&c.Size, &us, &msg); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		c.Signed, c.Note = core.FromMicros(us), []byte(msg)
		text, _, _ := strings.Cut(msg, "\n\n")
		origin, size, root, err := parseBody(text + "\n")
		if err != nil {
			return nil, fmt.Errorf("checkpoint of size %d: %w", c.Size, err)
		}
		if size != c.Size {
			return nil, fmt.Errorf("checkpoint stored at size %d says size %d", c.Size, size)
		}
		c.Origin, c.Root = origin, root
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return out, nil
}
