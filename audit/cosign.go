package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Cosignatures in the C2SP tlog-cosignature format (v1, Ed25519): a
// note signature line whose key ID is SHA-256(name || "\n" || 0x04 ||
// public key)[:4] and whose signature is a big-endian u64 POSIX time
// followed by the Ed25519 signature of
//
//	cosignature/v1
//	time <seconds>
//	<the checkpoint body>
//
// golang.org/x/mod/sumdb/note knows only its own signature type (0x01),
// so the cosigner and its verifier below implement note.Signer and
// note.Verifier for type 0x04; note.Sign and note.Open then carry the
// line like any other.

// cosignatureType is the signature type byte of Ed25519 cosignatures.
const cosignatureType = 0x04

// WitnessKeyFile is the name of the office's witness key in the data
// folder: the key it cosigns other offices' checkpoints with. It is not
// the audit signing key: C2SP asks for a key of its own per cosigner,
// and a leaked witness key must not sign this office's own log.
const WitnessKeyFile = "witness.key"

// WitnessNameFor is the cosigner name of the office whose organisation
// code is org.
func WitnessNameFor(org string) string { return "liaison/" + org + "/witness" }

// WitnessKey is the office's cosigning key.
type WitnessKey struct {
	Name        string
	private     ed25519.PrivateKey
	VerifierKey string // the public key as a C2SP vkey of type 0x04
	Now         func() time.Time
}

func cosignKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', cosignatureType})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosignVKey(name string, pub ed25519.PublicKey) string {
	return fmt.Sprintf("%s+%08x+%s", name, cosignKeyHash(name, pub), base64.StdEncoding.EncodeToString(append([]byte{cosignatureType}, pub...)))
}

// CreateWitnessKey makes a new Ed25519 cosigning key named name and
// writes it to dir's witness key file, which must not exist yet.
func CreateWitnessKey(dir, name string) (*WitnessKey, error) {
	if !validKeyName(name) {
		return nil, fmt.Errorf("audit: %q cannot name a witness key", name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit: make the witness key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("audit: create %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, WitnessKeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: write the witness key: %w", err)
	}
	line := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s\n%s\n", name, cosignKeyHash(name, pub), base64.StdEncoding.EncodeToString(append([]byte{cosignatureType}, priv.Seed()...)), cosignVKey(name, pub))
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: write the witness key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit: write the witness key: %w", err)
	}
	return &WitnessKey{Name: name, private: priv, VerifierKey: cosignVKey(name, pub)}, nil
}

// LoadWitnessKey reads dir's witness key file; ErrNoKey (wrapped) when
// there is none.
func LoadWitnessKey(dir string) (*WitnessKey, error) {
	path := filepath.Join(dir, WitnessKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit: %w (witness) in %s", ErrNoKey, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read the witness key: %w", err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return nil, fmt.Errorf("audit: %s holds %d lines, want the private key and the verifier key", path, len(lines))
	}
	parts := strings.SplitN(lines[0], "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, fmt.Errorf("audit: %s: the first line is not a witness private key", path)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != cosignatureType {
		return nil, fmt.Errorf("audit: %s: the private key is malformed", path)
	}
	priv := ed25519.NewKeyFromSeed(raw[1:])
	k := &WitnessKey{Name: parts[2], private: priv, VerifierKey: cosignVKey(parts[2], priv.Public().(ed25519.PublicKey))}
	if k.VerifierKey != lines[1] {
		return nil, fmt.Errorf("audit: %s: the private key and the verifier key do not belong together", path)
	}
	return k, nil
}

// EnsureWitnessKey loads dir's witness key, or makes one named name.
func EnsureWitnessKey(dir, name string) (k *WitnessKey, created bool, err error) {
	k, err = LoadWitnessKey(dir)
	if errors.Is(err, ErrNoKey) {
		k, err = CreateWitnessKey(dir, name)
		return k, err == nil, err
	}
	return k, false, err
}

func validKeyName(name string) bool {
	return name != "" && !strings.ContainsAny(name, "+ \t\n") && strings.ToValidUTF8(name, "") == name
}

// cosignedMessage is what a v1 Ed25519 cosignature signs.
func cosignedMessage(t uint64, body []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), body...)
}

// cosigner is a WitnessKey as a note.Signer.
type cosigner struct{ k *WitnessKey }

func (c cosigner) Name() string { return c.k.Name }
func (c cosigner) KeyHash() uint32 {
	return cosignKeyHash(c.k.Name, c.k.private.Public().(ed25519.PublicKey))
}
func (c cosigner) Sign(msg []byte) ([]byte, error) {
	now := time.Now
	if c.k.Now != nil {
		now = c.k.Now
	}
	t := uint64(now().Unix())
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, t)
	return append(sig, ed25519.Sign(c.k.private, cosignedMessage(t, msg))...), nil
}

// Cosigner returns the key as a note.Signer of C2SP cosignatures.
func (k *WitnessKey) Cosigner() note.Signer { return cosigner{k} }

// cosignVerifier verifies v1 Ed25519 cosignatures of one key.
type cosignVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (v cosignVerifier) Name() string    { return v.name }
func (v cosignVerifier) KeyHash() uint32 { return v.hash }
func (v cosignVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<63-1 {
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// NewCosignatureVerifier reads a witness's public key (a C2SP vkey of
// type 0x04, as `liaison audit key --witness` prints it).
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 || !validKeyName(parts[0]) {
		return nil, fmt.Errorf("witness key %q is not NAME+HASH+KEY", vkey)
	}
	h, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil || len(parts[1]) != 8 {
		return nil, fmt.Errorf("witness key %q: its hash %q is not 8 hexadecimal digits", vkey, parts[1])
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("witness key %q: its key is not 33 bytes of base64", vkey)
	}
	if raw[0] != cosignatureType {
		return nil, fmt.Errorf("witness key %q is of signature type %d, not an Ed25519 cosignature key (type 4)", vkey, raw[0])
	}
	pub := ed25519.PublicKey(raw[1:])
	if uint32(h) != cosignKeyHash(parts[0], pub) {
		return nil, fmt.Errorf("witness key %q: its hash does not match its name and key", vkey)
	}
	return cosignVerifier{name: parts[0], hash: uint32(h), pub: pub}, nil
}

// CosignatureTime is when the signature line sig (base64 of key ID and
// timestamped signature, as in a note) says it was made.
func CosignatureTime(b64 string) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return time.Time{}, errors.New("not a cosignature")
	}
	return time.Unix(int64(binary.BigEndian.Uint64(raw[4:])), 0).UTC(), nil
}
