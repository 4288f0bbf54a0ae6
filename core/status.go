package core

import (
	"context"
	"encoding/json"
	"errors"

	"liaison"
)

// SaveStatus stores or replaces a status. EINVALID without an id or an
// organisation.
func (o *Office) SaveStatus(ctx context.Context, st liaison.Status) error {
	if st.ID == "" {
		return liaison.Errorf(liaison.EINVALID, "status needs an id")
	}
	if st.Org == "" {
		return liaison.Errorf(liaison.EINVALID, "status %s needs the requesting organisation", st.ID)
	}
	body, err := json.Marshal(st)
	if err != nil {
		return o.Internal(o.op("SaveStatus"), err)
	}
	return o.inWrite(ctx, "SaveStatus", func(tx Tx) error {
		_, err := tx.Exec(`INSERT INTO statuses (id, org, body) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET org = excluded.org, body = excluded.body`, st.ID, st.Org, string(body))
		return err
	})
}

// Status returns a status. ENOTFOUND unless the reader's organisation made
// the request.
func (o *Office) Status(ctx context.Context, reader liaison.Principal, id string) (liaison.Status, error) {
	var st liaison.Status
	err := o.inRead(ctx, "Status", func(tx Tx) error {
		var org, body string
		err := tx.QueryRow(`SELECT org, body FROM statuses WHERE id = ?`, id).Scan(&org, &body)
		if errors.Is(err, ErrNoRows) || (err == nil && (reader.Org == "" || org != reader.Org)) {
			return liaison.NotFound("status", id)
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(body), &st)
	})
	if err != nil {
		return liaison.Status{}, err
	}
	return st, nil
}
