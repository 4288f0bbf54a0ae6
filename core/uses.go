package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"liaison"
	"liaison/internal/objquery"
	"liaison/stix"
)

var useTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)

// checkUseQuery refuses a query CountUses cannot answer, naming the field.
func checkUseQuery(q *liaison.UseQuery) error {
	if q.Relationship == "" {
		q.Relationship = "uses"
	}
	switch {
	case len(q.Targets) > liaison.MaxUseTargets:
		return liaison.Errorf(liaison.EINVALID, "field targets: %d ids is more than the %d one count takes", len(q.Targets), liaison.MaxUseTargets)
	case len(q.SourceTypes) == 0:
		return liaison.Errorf(liaison.EINVALID, "field source types: name at least one type of object to count")
	case !useTypeRE.MatchString(q.Relationship):
		return liaison.Errorf(liaison.EINVALID, "field relationship: %q is not a relationship type (lower-case letters, digits and hyphens)", truncated(q.Relationship))
	}
	for _, t := range q.SourceTypes {
		if !useTypeRE.MatchString(t) {
			return liaison.Errorf(liaison.EINVALID, "field source types: %q is not a STIX type name", truncated(t))
		}
	}
	for _, id := range q.Targets {
		if i := strings.Index(id, "--"); i <= 0 || len(id) > 300 {
			return liaison.Errorf(liaison.EINVALID, "field targets: %q is not a STIX id (type--UUID)", truncated(id))
		}
	}
	return nil
}

func truncated(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// CountUses counts the readable users of each target (see
// liaison.UseService). Two reads, both filtered by the reader in the
// query, as every page read is: the latest readable version of each
// relationship naming a target, in the collections the reader may read;
// then the latest readable version of each of their sources there. A
// pair counts only when both reads return it, so nothing the reader may
// not read is ever counted.
func (o *Office) CountUses(ctx context.Context, reader liaison.Principal, q liaison.UseQuery) (map[string]int, error) {
	if err := checkUseQuery(&q); err != nil {
		return nil, err
	}
	out := map[string]int{}
	if len(q.Targets) == 0 {
		return out, nil
	}
	targets := make(map[string]bool, len(q.Targets))
	for _, t := range q.Targets {
		targets[t] = true
	}
	sourceType := make(map[string]bool, len(q.SourceTypes))
	for _, t := range q.SourceTypes {
		sourceType[t] = true
	}
	err := o.inRead(ctx, "CountUses", func(tx Tx) error {
		colls, err := o.readableCollections(tx, reader)
		if err != nil {
			return err
		}
		var ids []string
		for _, c := range colls {
			ids = append(ids, c.ID)
		}
		if len(ids) == 0 {
			return nil
		}
		type pair struct{ src, dst string }
		pairs := map[pair]bool{}
		users := map[string]bool{}
		// 1. The links: latest readable relationships naming a target,
		// whose source is of a counted type.
		f := objquery.Filter{Last: true, Types: []string{"relationship"}}
		var a coreSQL
		readable := func(alias string) string { a.Arg(reader.Org); return readableBy(alias) }
		ends := a.In("end_k", stix.IDKeys(q.Targets))
		var like []string
		for _, t := range q.SourceTypes {
			like = append(like, `v.ends LIKE `+a.Arg(t+"--%"))
		}
		where := f.WhereIn(&a, ids, func() string { return readable("v") }, readable)
		err = eachRow(tx, func(rows Rows) error {
			var e string
			var raw []byte
			if err := rows.Scan(&e, &raw); err != nil {
				return err
			}
			src, dst, ok := strings.Cut(e, ",")
			if !ok || !targets[dst] || !sourceType[useTypeOf(src)] {
				return nil
			}
			var rel struct {
				RelationshipType string `json:"relationship_type"`
				Revoked          bool   `json:"revoked"`
			}
			if err := json.Unmarshal(raw, &rel); err != nil || rel.Revoked || rel.RelationshipType != q.Relationship {
				return nil
			}
			pairs[pair{src, dst}] = true
			users[src] = true
			return nil
		}, `SELECT v.ends, v.raw FROM versions v WHERE v.vid IN (SELECT rel_vid FROM ends WHERE `+ends+`) AND (`+strings.Join(like, ` OR `)+`) AND `+where, a...)
		if err != nil {
			return fmt.Errorf("count uses: links: %w", err)
		}
		// 2. The users the reader may read, somewhere they may read.
		var srcs []string
		for s := range users {
			srcs = append(srcs, s)
		}
		readUsers := map[string]bool{}
		for start := 0; start < len(srcs); start += objquery.MaxPageSize {
			chunk := srcs[start:min(len(srcs), start+objquery.MaxPageSize)]
			f := objquery.Filter{Last: true, IDs: chunk}
			var a coreSQL
			readable := func(alias string) string { a.Arg(reader.Org); return readableBy(alias) }
			where := f.WhereIn(&a, ids, func() string { return readable("v") }, readable)
			err := eachRow(tx, func(rows Rows) error {
				var id string
				var raw []byte
				if err := rows.Scan(&id, &raw); err != nil {
					return err
				}
				var obj struct {
					Revoked bool `json:"revoked"`
				}
				if json.Unmarshal(raw, &obj) == nil && !obj.Revoked {
					readUsers[id] = true
				}
				return nil
			}, `SELECT v.id, v.raw FROM versions v WHERE `+where, a...)
			if err != nil {
				return fmt.Errorf("count uses: users: %w", err)
			}
		}
		for p := range pairs {
			if readUsers[p.src] {
				out[p.dst]++
			}
		}
		return nil
	})
	if errors.Is(err, ErrStale) {
		if err := o.Freshen(ctx); err != nil {
			return nil, err
		}
		return o.CountUses(ctx, reader, q)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// useTypeOf is the type part of a STIX id.
func useTypeOf(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}
