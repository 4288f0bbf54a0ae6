package core

// The write path's lookups of versions by object id. Each binds a list of
// ids and must seek them one by one in the store's index of ids, whatever
// else it tests: a plan that walks a collection instead costs the size of
// the collection per call, which at 1M objects turns ingest quadratic.
// So the collection and the audience are tested in the select list, not
// in WHERE, where SQLite (whose versions_key is the id and version alone)
// would be free to walk (collection, audience) instead. IDQueries lists
// them for the stores' plan tests.
const (
	// storedQuery: every stored version of the ids (Write.stored); binds
	// org, collection, ids.
	storedQuery = `SELECT v.id, v.version_us, v.collection, v.default_marking, v.vid, v.originator, v.date_added_us, ` + readableCol + `,
			CASE WHEN v.collection = ? THEN v.raw END FROM versions v WHERE v.id IN (SELECT value FROM json_each(?))`
	// identicalQuery: the bytes of the versions of the ids in the
	// collection that org may read, NULL for the others (Write.identical);
	// binds collection, org, ids.
	identicalQuery = `SELECT v.id, v.version_us, CASE WHEN v.collection = ? AND ` + readableCol + ` THEN v.raw END FROM versions v WHERE v.id IN (SELECT value FROM json_each(?))`
	// endReadersQuery: who may read each end, by collection (rule 9);
	// binds ids.
	endReadersQuery = `SELECT id, collection, audience_id FROM versions WHERE id IN (SELECT value FROM json_each(?))`
	// relsByIDQuery: the relationship and sighting versions of the ids
	// (rule 9's fixpoint); binds ids.
	relsByIDQuery = `SELECT ` + relCols + ` WHERE v.id IN (SELECT value FROM json_each(?)) AND v.ends != ''`
)

// IDQueries are the queries above by name, with example arguments, for
// the stores' plan tests.
var IDQueries = map[string]struct {
	Query string
	Args  func(org, collection string, ids Strings) []any
}{
	"stored":      {storedQuery, func(org, c string, ids Strings) []any { return []any{org, c, ids} }},
	"identical":   {identicalQuery, func(org, c string, ids Strings) []any { return []any{c, org, ids} }},
	"end readers": {endReadersQuery, func(_, _ string, ids Strings) []any { return []any{ids} }},
	"rels by id":  {relsByIDQuery, func(_, _ string, ids Strings) []any { return []any{ids} }},
}
