package audit

import (
	"context"
	"errors"
	"time"

	"liaison"
	"liaison/core"
)

// Who reads the audit (ARCHITECTURE.md, "Audit"). The audit is itself
// information, filtered like everything else:
//
//   - an office admin reads all of it;
//   - an organisation's officers read the entries of their own
//     organisation's principals, and who received the objects their
//     organisation originated (the read entries naming them, whoever
//     the reader);
//   - nobody else reads any of it.
//
// Whether an object was originated by the reader's organisation is for
// the caller to say from a reader-filtered read of the object (the web
// pages read it as the reader): an object the reader may not read is
// never theirs here.

// ErrNoAudit is the refusal of a reader who may read none of the audit.
var ErrNoAudit = liaison.Errorf(liaison.EFORBIDDEN, "the audit is for the office's admins and for organisations' officers")

// MayRead reports whether reader may read any of the audit.
func MayRead(reader liaison.Principal) bool {
	return reader.HasRole(liaison.RoleAdmin) || reader.HasRole(liaison.RoleOfficer)
}

// VersionStamp is how an entry's ref names the version modified at t.
func VersionStamp(t time.Time) string { return stamp(t) }

// EntriesFor calls fn with the entries f selects that reader may read,
// oldest first. originated, when not nil, says that f.Object is an
// object reader's organisation originated, and holds the versions of it
// (VersionStamp) that reader may read now. Another organisation's read
// of it is shown with its refs cut to those versions, and without its
// collection and detail: an entry never tells an officer of anything
// else that reader received. ErrNoAudit when reader may read none of
// the audit.
func EntriesFor(ctx context.Context, db core.DB, reader liaison.Principal, f Filter, originated map[string]bool, fn func(Entry) error) error {
	switch {
	case reader.HasRole(liaison.RoleAdmin):
		return Entries(ctx, db, f, fn)
	case !reader.HasRole(liaison.RoleOfficer) || reader.Org == "":
		return ErrNoAudit
	}
	if f.Org != "" && f.Org != reader.Org && !(originated != nil && f.Object != "") {
		return nil // another organisation's principals: none of it is theirs
	}
	if f.Object != "" && originated != nil {
		// Who received the object, whoever they are, and what their own
		// principals did with it. The limit counts what is shown.
		limit := f.Limit
		f.Limit = 0
		n := 0
		errDone := errors.New("done")
		err := Entries(ctx, db, f, func(e Entry) error {
			if e.Org != reader.Org {
				if e.Action != ActionRead {
					return nil
				}
				var refs []Ref
				for _, r := range e.Refs {
					if r.ID == f.Object && originated[r.Version] {
						refs = append(refs, r)
					}
				}
				if len(refs) == 0 {
					return nil
				}
				// Served names everything else the reader was served.
				e.Refs, e.Served, e.Collection, e.Detail = refs, nil, "", ""
			}
			if limit > 0 && n >= limit {
				return errDone
			}
			n++
			return fn(e)
		})
		if errors.Is(err, errDone) {
			return nil
		}
		return err
	}
	f.Org = reader.Org
	return Entries(ctx, db, f, fn)
}

// Receipt is one time a reader received versions of an object.
type Receipt struct {
	Time            time.Time
	Principal, Org  string
	Path, Op, Route string
	Versions        []string
	Entry           int64
}

// WhoReceived lists every time any version of object id was returned to
// a reader, oldest first (at most limit times, 0: all), for an admin, or
// for an officer of the organisation that originated it. originated,
// when not nil, says the reader's organisation originated it and holds
// the versions of it the reader may read now (VersionStamp): an
// officer sees only those versions received, never that another
// version exists. ok false when reader may not know it: the caller then
// shows nothing of it.
func WhoReceived(ctx context.Context, db core.DB, reader liaison.Principal, id string, originated map[string]bool, limit int) (out []Receipt, ok bool, err error) {
	admin := reader.HasRole(liaison.RoleAdmin)
	if !admin && !(originated != nil && reader.HasRole(liaison.RoleOfficer) && reader.Org != "") {
		return nil, false, nil
	}
	errDone := errors.New("done")
	err = Entries(ctx, db, Filter{Object: id, Action: ActionRead, After: -1}, func(e Entry) error {
		r := Receipt{Time: e.Time, Principal: e.Principal, Org: e.Org, Path: e.Path, Op: e.Op, Route: e.Route, Entry: e.Index}
		for _, ref := range e.Refs {
			if ref.ID == id && (admin || originated[ref.Version]) {
				r.Versions = append(r.Versions, ref.Version)
			}
		}
		if len(r.Versions) == 0 {
			return nil
		}
		if limit > 0 && len(out) == limit {
			return errDone
		}
		out = append(out, r)
		return nil
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	return out, err == nil, err
}
