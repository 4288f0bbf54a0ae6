package audit

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// KeyFile is the name of the office's audit signing key in the data
// folder. It holds two lines: the signed-note private key and its
// verifier key. It is kept outside the database, so that rewriting the
// database cannot re-sign its checkpoints.
const KeyFile = "audit.key"

// Key is the office's checkpoint signing key.
type Key struct {
	Origin      string // the checkpoints' origin line, and the key's name
	Signer      note.Signer
	Verifier    note.Verifier
	VerifierKey string // the public key in signed-note verifier form
}

// OriginFor is the checkpoint origin of the office whose organisation
// code is org.
func OriginFor(org string) string { return "liaison/" + org + "/audit" }

// CreateKey makes a new ed25519 key named origin and writes it to dir's
// key file, which must not exist yet.
func CreateKey(dir, origin string) (*Key, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, fmt.Errorf("audit: make the signing key %q: %w", origin, err)
	}
	k, err := parseKey(skey, vkey)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("audit: create %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, KeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: write the signing key: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s\n%s\n", skey, vkey); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: write the signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit: write the signing key: %w", err)
	}
	return k, nil
}

// ErrNoKey is returned by LoadKey when the data folder holds no key.
var ErrNoKey = errors.New("no audit signing key")

// LoadKey reads dir's key file. ErrNoKey (wrapped) when there is none.
func LoadKey(dir string) (*Key, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit: %w in %s", ErrNoKey, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read the signing key: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return nil, fmt.Errorf("audit: %s holds %d lines, want the private key and the verifier key", path, len(lines))
	}
	k, err := parseKey(lines[0], lines[1])
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// EnsureKey loads dir's key, or makes one named origin when there is
// none; created says which.
func EnsureKey(dir, origin string) (k *Key, created bool, err error) {
	k, err = LoadKey(dir)
	if errors.Is(err, ErrNoKey) {
		k, err = CreateKey(dir, origin)
		return k, err == nil, err
	}
	return k, false, err
}

func parseKey(skey, vkey string) (*Key, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit: the private key is malformed: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: the verifier key is malformed: %w", err)
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return nil, errors.New("audit: the private key and the verifier key do not belong together")
	}
	// A signature made with the private key must verify with the public
	// one: the pair is whole.
	sig, err := s.Sign([]byte("liaison audit key check\n"))
	if err != nil {
		return nil, fmt.Errorf("audit: sign with the key: %w", err)
	}
	if !v.Verify([]byte("liaison audit key check\n"), sig) {
		return nil, errors.New("audit: the private key and the verifier key do not belong together")
	}
	return &Key{Origin: s.Name(), Signer: s, Verifier: v, VerifierKey: vkey}, nil
}
