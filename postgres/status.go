package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"liaison"
)

// SaveStatus stores or replaces a status. EINVALID without an id or an
// organisation.
func (s *Store) SaveStatus(ctx context.Context, st liaison.Status) error {
	const op = "postgres.SaveStatus"
	if st.ID == "" {
		return liaison.Errorf(liaison.EINVALID, "status needs an id")
	}
	if st.Org == "" {
		return liaison.Errorf(liaison.EINVALID, "status %s needs the requesting organisation", st.ID)
	}
	body, err := json.Marshal(st)
	if err != nil {
		return s.internal(op, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO statuses (id, org, body) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET org = excluded.org, body = excluded.body`, st.ID, st.Org, string(body))
	return s.mapErr(op, err)
}

// Status returns a status. ENOTFOUND unless the reader's organisation made
// the request.
func (s *Store) Status(ctx context.Context, reader liaison.Principal, id string) (liaison.Status, error) {
	var org, body string
	err := s.pool.QueryRow(ctx, `SELECT org, body FROM statuses WHERE id = $1`, id).Scan(&org, &body)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && (reader.Org == "" || org != reader.Org)) {
		return liaison.Status{}, liaison.NotFound("status", id)
	}
	if err != nil {
		return liaison.Status{}, s.internal("postgres.Status", err)
	}
	var st liaison.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return liaison.Status{}, s.internal("postgres.Status", err)
	}
	return st, nil
}
