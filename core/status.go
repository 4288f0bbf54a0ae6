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
	body, err := statusBody(st)
	if err != nil {
		return o.MapErr(o.op("SaveStatus"), err)
	}
	return o.inWrite(ctx, "SaveStatus", func(tx Tx) error { return saveStatus(tx, st, body) })
}

// AddObjectsWithStatus is AddObjects and SaveStatus of status(result) in
// one write transaction (see liaison.StatusService).
func (o *Office) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	var res liaison.WriteResult
	objs = PrepareSearch(objs)
	err := o.write(ctx, "AddObjects", func(w *Write) error {
		var err error
		if res, err = w.AddObjects(writer, collection, objs); err != nil {
			return err
		}
		return w.SaveStatus(status(res))
	})
	if err != nil {
		return liaison.WriteResult{}, err
	}
	o.Ingested(ctx, writer, collection, objs, res)
	return res, nil
}

// SaveStatus stores or replaces a status in the write's transaction, so
// that it commits with the objects written before it. EINVALID without an
// id or an organisation.
func (w *Write) SaveStatus(st liaison.Status) error {
	body, err := statusBody(st)
	if err != nil {
		return err
	}
	return saveStatus(w.tx, st, body)
}

// statusBody checks a status and returns it as stored.
func statusBody(st liaison.Status) ([]byte, error) {
	if st.ID == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "status needs an id")
	}
	if st.Org == "" {
		return nil, liaison.Errorf(liaison.EINVALID, "status %s needs the requesting organisation", st.ID)
	}
	return json.Marshal(st)
}

func saveStatus(tx Tx, st liaison.Status, body []byte) error {
	_, err := tx.Exec(`INSERT INTO statuses (id, org, body) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET org = excluded.org, body = excluded.body`, st.ID, st.Org, string(body))
	return err
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
