package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	pw "liaison/internal/password"
	"strings"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// TokenPrefix starts every API token: lia_<token id>_<secret>. It is the
// SQLite store's too, so a copied office's tokens keep working.
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
func (s *Store) CreateUser(ctx context.Context, p *liaison.Principal, password string) error {
	const op = "postgres.CreateUser"
	if p == nil {
		return liaison.Errorf(liaison.EINVALID, "user is missing")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	hash := ""
	if password != "" {
		var err error
		if hash, err = pw.Hash(password, s.cost); err != nil {
			return s.internal(op, err)
		}
	}
	var id int64
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM organisations WHERE code = $1`, p.Org).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return liaison.Errorf(liaison.EINVALID, "user %s: organisation %q is not on the hub", p.Name, p.Org)
		}
		err := tx.QueryRow(ctx, `INSERT INTO users (name, org, roles, password, created_us) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			p.Name, p.Org, joinRoles(p.Roles), hash, s.clock().UnixMicro()).Scan(&id)
		if ce := constraintError(err); ce != nil && ce.Code == liaison.ECONFLICT {
			return liaison.Errorf(liaison.ECONFLICT, "user %s exists already", p.Name)
		}
		return err
	})
	if err == nil {
		p.ID = id
	}
	return err
}

const userCols = `id, name, org, roles`

func scanUser(row pgx.Row, extra ...any) (liaison.Principal, error) {
	var p liaison.Principal
	var roles string
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Org, &roles}, extra...)...)
	p.Roles = splitRoles(roles)
	return p, err
}

// User returns a user by name. ENOTFOUND if there is none.
func (s *Store) User(ctx context.Context, name string) (liaison.Principal, error) {
	p, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return liaison.Principal{}, liaison.NotFound("user", name)
	}
	if err != nil {
		return liaison.Principal{}, s.internal("postgres.User", err)
	}
	return p, nil
}

// Users returns every user, sorted by name.
func (s *Store) Users(ctx context.Context) ([]liaison.Principal, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, s.internal("postgres.Users", err)
	}
	defer rows.Close()
	out := []liaison.Principal{}
	for rows.Next() {
		p, err := scanUser(rows)
		if err != nil {
			return nil, s.internal("postgres.Users", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.internal("postgres.Users", err)
	}
	return out, nil
}

// dummyHash is checked against when the user is unknown, so a wrong name
// costs as much time as a wrong password.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE"

// Authenticate checks a name and password. EUNAUTHORIZED on any mismatch,
// without saying which part was wrong.
func (s *Store) Authenticate(ctx context.Context, name, password string) (liaison.Principal, error) {
	bad := liaison.Errorf(liaison.EUNAUTHORIZED, "user name or password is wrong")
	var hash string
	p, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+`, password FROM users WHERE name = $1`, name), &hash)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		pw.Check(s.dummy(), password)
		return liaison.Principal{}, bad
	case err != nil:
		return liaison.Principal{}, s.internal("postgres.Authenticate", err)
	}
	if hash == "" || password == "" {
		pw.Check(s.dummy(), password)
		return liaison.Principal{}, bad
	}
	if !pw.Check(hash, password) {
		return liaison.Principal{}, bad
	}
	return p, nil
}

// dummy returns a hash at the store's cost for timing equalisation.
func (s *Store) dummy() string {
	if s.cost == DefaultPasswordCost {
		return dummyHash
	}
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$c2FsdHNhbHRzYWx0c2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE", s.cost.MemoryKiB, s.cost.Time, s.cost.Threads)
}

func tokenHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CreateToken makes a random API token for the user (lia_<id>_<secret>,
// 32 random bytes of secret), stores only its SHA-256, and returns its
// record and the token, which is shown once. ENOTFOUND if there is no
// such user.
func (s *Store) CreateToken(ctx context.Context, user string) (liaison.Token, string, error) {
	const op = "postgres.CreateToken"
	idb := make([]byte, 8)
	sec := make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return liaison.Token{}, "", s.internal(op, err)
	}
	if _, err := rand.Read(sec); err != nil {
		return liaison.Token{}, "", s.internal(op, err)
	}
	t := liaison.Token{ID: hex.EncodeToString(idb), User: user, Created: s.clock()}
	secret := TokenPrefix + t.ID + "_" + base64.RawURLEncoding.EncodeToString(sec)
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		var uid int64
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE name = $1`, user).Scan(&uid)
		if errors.Is(err, pgx.ErrNoRows) {
			return liaison.NotFound("user", user)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO tokens (id, user_id, hash, created_us) VALUES ($1, $2, $3, $4)`, t.ID, uid, tokenHash(secret), t.Created.UnixMicro())
		return err
	})
	if err != nil {
		return liaison.Token{}, "", err
	}
	return t, secret, nil
}

// RevokeToken revokes a token by id. ENOTFOUND if there is none.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	return s.inTx(ctx, "postgres.RevokeToken", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tokens SET revoked = true WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return liaison.NotFound("token", id)
		}
		return nil
	})
}

// Tokens returns the tokens of a user, oldest first. ENOTFOUND if there is
// no such user.
func (s *Store) Tokens(ctx context.Context, user string) ([]liaison.Token, error) {
	const op = "postgres.Tokens"
	out := []liaison.Token{}
	err := s.inRead(ctx, op, func(tx pgx.Tx) error {
		var uid int64
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE name = $1`, user).Scan(&uid)
		if errors.Is(err, pgx.ErrNoRows) {
			return liaison.NotFound("user", user)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, created_us, revoked FROM tokens WHERE user_id = $1 ORDER BY created_us, id`, uid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := liaison.Token{User: user}
			var created int64
			if err := rows.Scan(&t.ID, &created, &t.Revoked); err != nil {
				return err
			}
			t.Created = fromMicros(created)
			out = append(out, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PrincipalByToken returns the owner of a live token. EUNAUTHORIZED if the
// token is unknown or revoked.
func (s *Store) PrincipalByToken(ctx context.Context, secret string) (liaison.Principal, error) {
	bad := liaison.Errorf(liaison.EUNAUTHORIZED, "token is unknown or revoked")
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 256 {
		return liaison.Principal{}, bad
	}
	p, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.org, u.roles FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND NOT t.revoked`, tokenHash(secret)))
	if errors.Is(err, pgx.ErrNoRows) {
		return liaison.Principal{}, bad
	}
	if err != nil {
		return liaison.Principal{}, s.internal("postgres.PrincipalByToken", err)
	}
	return p, nil
}
