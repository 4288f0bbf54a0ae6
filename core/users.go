package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
	pw "liaison/internal/password"
)

// TokenPrefix starts every API token: lia_<token id>_<secret>. Every store
// uses it, so a copied office's tokens keep working.
const TokenPrefix = "lia_"

func joinRoles(rs []liaison.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func splitRoles(s string) []liaison.Role {
	var out []liaison.Role
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, liaison.Role(r))
		}
	}
	return out
}

// CreateUser adds a user, hashing the password with argon2id (empty means
// token-only), and sets p.ID. ECONFLICT for a duplicate name; EINVALID for
// an unknown organisation, a bad role or a malformed name.
func (o *Office) CreateUser(ctx context.Context, p *liaison.Principal, password string) error {
	if p == nil {
		return liaison.Errorf(liaison.EINVALID, "user is missing")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	hash := ""
	if password != "" {
		var err error
		if hash, err = pw.Hash(password, o.cost); err != nil {
			return o.Internal(o.op("CreateUser"), err)
		}
	}
	var id int64
	err := o.inWrite(ctx, "CreateUser", func(tx Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM organisations WHERE code = ?`, p.Org).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return liaison.Errorf(liaison.EINVALID, "user %s: organisation %q is not on the hub", p.Name, p.Org)
		}
		err := tx.QueryRow(`INSERT INTO users (name, org, roles, password, created_us) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			p.Name, p.Org, joinRoles(p.Roles), hash, o.Clock().UnixMicro()).Scan(&id)
		return o.conflict(err, "user %s exists already", p.Name)
	})
	if err == nil {
		p.ID = id
	}
	return err
}

const userCols = `id, name, org, roles, disabled`

func scanUser(row Row, extra ...any) (liaison.Principal, error) {
	var p liaison.Principal
	var roles string
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Org, &roles, &p.Disabled}, extra...)...)
	p.Roles = splitRoles(roles)
	return p, err
}

// User returns a user by name. ENOTFOUND if there is none.
func (o *Office) User(ctx context.Context, name string) (liaison.Principal, error) {
	var p liaison.Principal
	err := o.inRead(ctx, "User", func(tx Tx) error {
		var err error
		p, err = scanUser(tx.QueryRow(`SELECT `+userCols+` FROM users WHERE name = ?`, name))
		if errors.Is(err, ErrNoRows) {
			return liaison.NotFound("user", name)
		}
		return err
	})
	if err != nil {
		return liaison.Principal{}, err
	}
	return p, nil
}

// Users returns every user, sorted by name.
func (o *Office) Users(ctx context.Context) ([]liaison.Principal, error) {
	out := []liaison.Principal{}
	err := o.inRead(ctx, "Users", func(tx Tx) error {
		return eachRow(tx, func(rows Rows) error {
			p, err := scanUser(rows)
			out = append(out, p)
			return err
		}, `SELECT `+userCols+` FROM users ORDER BY name`)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dummyHash is checked against when the user is unknown, so a wrong name
// costs as much time as a wrong password.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE"

// Authenticate checks a name and password. EUNAUTHORIZED on any mismatch,
// without saying which part was wrong.
func (o *Office) Authenticate(ctx context.Context, name, password string) (liaison.Principal, error) {
	bad := liaison.Errorf(liaison.EUNAUTHORIZED, "user name or password is wrong")
	var hash string
	var p liaison.Principal
	found := true
	err := o.inRead(ctx, "Authenticate", func(tx Tx) error {
		var err error
		p, err = scanUser(tx.QueryRow(`SELECT `+userCols+`, password FROM users WHERE name = ?`, name), &hash)
		if errors.Is(err, ErrNoRows) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return liaison.Principal{}, err
	}
	if !found || hash == "" || password == "" {
		pw.Check(o.dummy(), password)
		return liaison.Principal{}, bad
	}
	// A disabled user's password is still checked, so that the answer
	// takes as long, and says the same, as for a wrong one.
	if !pw.Check(hash, password) || p.Disabled {
		return liaison.Principal{}, bad
	}
	return p, nil
}

// dummy returns a hash at the store's cost for timing equalisation.
func (o *Office) dummy() string {
	if o.cost == pw.Default {
		return dummyHash
	}
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$c2FsdHNhbHRzYWx0c2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE", o.cost.MemoryKiB, o.cost.Time, o.cost.Threads)
}

func tokenHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a random API token for the user (lia_<id>_<secret>,
// 32 random bytes of secret), stores only its SHA-256, and returns its
// record and the token, which is shown once. ENOTFOUND if there is no
// such user.
func (o *Office) CreateToken(ctx context.Context, user string) (liaison.Token, string, error) {
	idb := make([]byte, 8)
	sec := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return liaison.Token{}, "", o.Internal(o.op("CreateToken"), err)
	}
	if _, err := rand.Read(sec); err != nil {
		return liaison.Token{}, "", o.Internal(o.op("CreateToken"), err)
	}
	t := liaison.Token{ID: hex.EncodeToString(idb), User: user, Created: o.Clock()}
	secret := TokenPrefix + t.ID + "_" + base64.RawURLEncoding.EncodeToString(sec)
	err := o.inWrite(ctx, "CreateToken", func(tx Tx) error {
		uid, err := userID(tx, user)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO tokens (id, user_id, hash, created_us) VALUES (?, ?, ?, ?)`, t.ID, uid, tokenHash(secret), t.Created.UnixMicro())
		return err
	})
	if err != nil {
		return liaison.Token{}, "", err
	}
	return t, secret, nil
}

func userID(tx Tx, user string) (int64, error) {
	var uid int64
	err := tx.QueryRow(`SELECT id FROM users WHERE name = ?`, user).Scan(&uid)
	if errors.Is(err, ErrNoRows) {
		return 0, liaison.NotFound("user", user)
	}
	return uid, err
}

// RevokeToken revokes a token by id. ENOTFOUND if there is none.
func (o *Office) RevokeToken(ctx context.Context, id string) error {
	return o.inWrite(ctx, "RevokeToken", func(tx Tx) error {
		n, err := tx.Exec(`UPDATE tokens SET revoked = ? WHERE id = ?`, true, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return liaison.NotFound("token", id)
		}
		return nil
	})
}

// Tokens returns the tokens of a user, oldest first. ENOTFOUND if there is
// no such user.
func (o *Office) Tokens(ctx context.Context, user string) ([]liaison.Token, error) {
	out := []liaison.Token{}
	err := o.inRead(ctx, "Tokens", func(tx Tx) error {
		uid, err := userID(tx, user)
		if err != nil {
			return err
		}
		return eachRow(tx, func(rows Rows) error {
			t := liaison.Token{User: user}
			var created int64
			if err := rows.Scan(&t.ID, &created, &t.Revoked); err != nil {
				return err
			}
			t.Created = FromMicros(created)
			out = append(out, t)
			return nil
		}, `SELECT id, created_us, revoked FROM tokens WHERE user_id = ? ORDER BY created_us, id`, uid)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PrincipalByToken returns the owner of a live token. EUNAUTHORIZED if the
// token is unknown or revoked.
func (o *Office) PrincipalByToken(ctx context.Context, secret string) (liaison.Principal, error) {
	bad := liaison.Errorf(liaison.EUNAUTHORIZED, "token is unknown or revoked")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 256 {
		return liaison.Principal{}, bad
	}
	var p liaison.Principal
	err := o.inRead(ctx, "PrincipalByToken", func(tx Tx) error {
		var err error
		p, err = scanUser(tx.QueryRow(`SELECT u.id, u.name, u.org, u.roles, u.disabled FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked = ? AND u.disabled = ?`, tokenHash(secret), false, false))
		if errors.Is(err, ErrNoRows) {
			return bad
		}
		return err
	})
	if err != nil {
		return liaison.Principal{}, err
	}
	return p, nil
}

// SetPassword replaces a user's password, hashed with argon2id (empty
// means token-only). ENOTFOUND if there is no such user.
func (o *Office) SetPassword(ctx context.Context, name, password string) error {
	hash := ""
	if password != "" {
		var err error
		if hash, err = pw.Hash(password, o.cost); err != nil {
			return o.Internal(o.op("SetPassword"), err)
		}
	}
	return o.inWrite(ctx, "SetPassword", func(tx Tx) error {
		n, err := tx.Exec(`UPDATE users SET password = ? WHERE name = ?`, hash, name)
		if err == nil && n == 0 {
			err = liaison.NotFound("user", name)
		}
		return err
	})
}

// CredentialStamp returns a digest of the user's id, organisation, roles,
// password hash and disabled state: it changes whenever any of them does.
// ENOTFOUND if there is no such user.
func (o *Office) CredentialStamp(ctx context.Context, name string) (string, error) {
	var stamp string
	err := o.inRead(ctx, "CredentialStamp", func(tx Tx) error {
		var id int64
		var org, roles, hash string
		var disabled bool
		err := tx.QueryRow(`SELECT id, org, roles, password, disabled FROM users WHERE name = ?`, name).Scan(&id, &org, &roles, &hash, &disabled)
		if errors.Is(err, ErrNoRows) {
			return liaison.NotFound("user", name)
		}
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%t", id, org, roles, hash, disabled)))
		stamp = base64.RawURLEncoding.EncodeToString(sum[:])
		return nil
	})
	return stamp, err
}

// SetRoles replaces a user's roles. ENOTFOUND if there is no such user;
// EINVALID for no role or an unknown one.
func (o *Office) SetRoles(ctx context.Context, name string, roles []liaison.Role) error {
	if len(roles) == 0 {
		return liaison.Errorf(liaison.EINVALID, "roles: user %s needs at least one role (reader, analyst, officer or admin)", name)
	}
	var uniq []liaison.Role
	for _, r := range roles {
		if !r.Valid() {
			return liaison.Errorf(liaison.EINVALID, "roles: role %q is unknown: want reader, analyst, officer or admin", r)
		}
		if !slices.Contains(uniq, r) {
			uniq = append(uniq, r)
		}
	}
	return o.inWrite(ctx, "SetRoles", func(tx Tx) error {
		n, err := tx.Exec(`UPDATE users SET roles = ? WHERE name = ?`, joinRoles(uniq), name)
		if err == nil && n == 0 {
			err = liaison.NotFound("user", name)
		}
		return err
	})
}

// SetDisabled disables or enables a user. A disabled user fails
// Authenticate and PrincipalByToken, and their credential stamp changes,
// so that cached credentials and sessions end. ENOTFOUND if there is no
// such user.
func (o *Office) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return o.inWrite(ctx, "SetDisabled", func(tx Tx) error {
		n, err := tx.Exec(`UPDATE users SET disabled = ? WHERE name = ?`, disabled, name)
		if err == nil && n == 0 {
			err = liaison.NotFound("user", name)
		}
		return err
	})
}
