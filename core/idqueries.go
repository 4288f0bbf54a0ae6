package core

import "liaison/stix"

// The write path's lookups of versions by object id. Each binds a list of
// ids and must seek them one by one in the store's index of ids, whatever
// else it tests: a plan that walks a collection instead costs the size of
// the collection per call, which at 1M objects turns ingest quadratic.
// So the collection and the audience are tested in the select list, not
// in WHERE, where SQLite (whose versions_key is the id's key and the
// version alone) would be free to walk (collection, audience) instead.
// Each seeks the ids by their keys (stix.IDKey, which the stores index)
// and tests the ids themselves too, binding both lists. IDQueries lists
// them for the stores' plan tests.
const (
	// byIDs selects the versions v of a list of ids: it binds their keys,
	// then the ids (idArgs).
	byIDs = `v.idk IN (SELECT value FROM json_each(?)) AND v.id IN (SELECT value FROM json_each(?))`
	// storedQuery: every stored version of the ids (Write.stored); binds
	// org, collection, then idArgs.
	storedQuery = `SELECT v.id, v.version_us, v.collection, v.default_marking, v.vid, v.originator, v.date_added_us, ` + readableCol + `,
			CASE WHEN v.collection = ? THEN v.raw END FROM versions v WHERE ` + byIDs
	// identicalQuery: the bytes of the versions of the ids in the
	// collection that org may read, NULL for the others (Write.identical);
	// binds collection, org, then idArgs.
	identicalQuery = `SELECT v.id, v.version_us, CASE WHEN v.collection = ? AND ` + readableCol + ` THEN v.raw END FROM versions v WHERE ` + byIDs
	// endReadersQuery: who may read each end, by collection (rule 9);
	// binds idArgs.
	endReadersQuery = `SELECT v.id, v.collection, v.audience_id FROM versions v WHERE ` + byIDs
	// relsByIDQuery: the relationship and sighting versions of the ids
	// (rule 9's fixpoint); binds idArgs.
	relsByIDQuery = `SELECT ` + relCols + ` WHERE ` + byIDs + ` AND v.ends != ''`
)

// IDQueries are the queries above by name, with example arguments, for
// the stores' plan tests.
var IDQueries = map[string]struct {
	Query string
	Args  func(org, collection string, ids Strings) []any
}{
	"stored":      {storedQuery, func(org, c string, ids Strings) []any { return append([]any{org, c}, idArgs(ids)...) }},
	"identical":   {identicalQuery, func(org, c string, ids Strings) []any { return append([]any{c, org}, idArgs(ids)...) }},
	"end readers": {endReadersQuery, func(_, _ string, ids Strings) []any { return idArgs(ids) }},
	"rels by id":  {relsByIDQuery, func(_, _ string, ids Strings) []any { return idArgs(ids) }},
}

// idArgs binds a list of ids for byIDs: their keys, then the ids.
func idArgs(ids []string) []any { return []any{Int64s(stix.IDKeys(ids)), Strings(ids)} }
