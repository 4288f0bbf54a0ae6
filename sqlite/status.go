package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"liaison"
)

// SaveStatus stores or replaces a status. EINVALID without an id or an
// organisation.
func (s *Store) SaveStatus(ctx context.Context, st liaison.Status) error {
	const op = "sqlite.SaveStatus"
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
	return s.inWrite(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO statuses (id, org, body) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET org = excluded.org, body = excluded.body`, st.ID, st.Org, string(body))
		return err
	})
}

// Status returns a status. ENOTFOUND unless the reader's organisation made
// the request.
func (s *Store) Status(ctx context.Context, reader liaison.Principal, id string) (liaison.Status, error) {
	var org, body string
	err := s.reader.QueryRowContext(ctx, `SELECT org, body FROM statuses WHERE id = ?`, id).Scan(&org, &body)
	if err == sql.ErrNoRows || (err == nil && (reader.Org == "" || org != reader.Org)) {
		return liaison.Status{}, liaison.NotFound("status", id)
	}
	if err != nil {
		return liaison.Status{}, s.internal("sqlite.Status", err)
	}
	var st liaison.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return liaison.Status{}, s.internal("sqlite.Status", err)
	}
	return st, nil
}
