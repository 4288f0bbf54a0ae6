-- The hub's directory, users, collections, markings, object versions and
-- their audiences. Times are int64 microseconds since the Unix epoch, UTC.

CREATE TABLE organisations (
	code      TEXT PRIMARY KEY,
	name      TEXT NOT NULL,
	kind      TEXT NOT NULL CHECK (kind IN ('ally', 'partner', 'nato-body')),
	time_zone TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- Operator communities; members is a JSON array of organisation codes and
-- community names, in the operator's order. NATO, IP4 and ALL are computed.
CREATE TABLE communities (
	name    TEXT PRIMARY KEY,
	members TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE agreements (
	id                 INTEGER PRIMARY KEY,
	partner            TEXT NOT NULL REFERENCES organisations (code),
	kind               TEXT NOT NULL CHECK (kind IN ('security', 'programme')),
	name               TEXT NOT NULL DEFAULT '',
	max_classification INTEGER NOT NULL DEFAULT 0,
	from_us            INTEGER,
	until_us           INTEGER,
	areas              TEXT NOT NULL DEFAULT '[]',
	objectives         TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE users (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	org        TEXT NOT NULL REFERENCES organisations (code),
	roles      TEXT NOT NULL,
	password   TEXT NOT NULL DEFAULT '', -- argon2id PHC string; empty: token-only
	created_us INTEGER NOT NULL
);

-- API tokens: only the SHA-256 of the whole token string is kept.
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	hash       BLOB NOT NULL UNIQUE,
	created_us INTEGER NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE collections (
	id              TEXT PRIMARY KEY,
	title           TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	topic           TEXT NOT NULL,
	read_list       TEXT NOT NULL, -- JSON array
	write_list      TEXT NOT NULL, -- JSON array
	default_marking TEXT NOT NULL DEFAULT '',
	created_us      INTEGER NOT NULL,
	last_added_us   INTEGER NOT NULL DEFAULT 0 -- high-water mark of date_added, never goes back
) WITHOUT ROWID;

-- Marking-definitions the hub has been given, with what it understood of
-- them (liaison.Marking as JSON). The built-in TLP markings are not stored.
CREATE TABLE markings (
	id   TEXT PRIMARY KEY,
	body TEXT NOT NULL
) WITHOUT ROWID;

-- An audience is a set of organisations; key is liaison.Audience.Key().
CREATE TABLE audiences (
	id  INTEGER PRIMARY KEY,
	key TEXT NOT NULL UNIQUE
);
CREATE TABLE audience_members (
	org         TEXT NOT NULL,
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	PRIMARY KEY (org, audience_id)
) WITHOUT ROWID;

-- A label is what decides a version's audience before rule 9: the
-- originator and the resolved object-level marking refs (sorted, joined
-- with commas). Its audience is recomputed when the directory changes.
CREATE TABLE labels (
	id          INTEGER PRIMARY KEY,
	originator  TEXT NOT NULL,
	markings    TEXT NOT NULL,
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	UNIQUE (originator, markings)
);

-- One row per object version per collection. audience_id is the effective
-- audience: the label's, narrowed for relationships and sightings by the
-- readers of their ends (rule 9).
CREATE TABLE versions (
	vid             INTEGER PRIMARY KEY,
	collection      TEXT NOT NULL REFERENCES collections (id),
	id              TEXT NOT NULL,
	version_us      INTEGER NOT NULL,
	date_added_us   INTEGER NOT NULL,
	type            TEXT NOT NULL,
	spec_version    TEXT NOT NULL,
	originator      TEXT NOT NULL,
	default_marking TEXT NOT NULL DEFAULT '',
	label_id        INTEGER NOT NULL REFERENCES labels (id),
	audience_id     INTEGER NOT NULL REFERENCES audiences (id),
	ends            TEXT NOT NULL DEFAULT '', -- comma-separated end ids of a relationship or sighting
	granular_refs   TEXT NOT NULL DEFAULT '',
	raw             BLOB NOT NULL
);
CREATE UNIQUE INDEX versions_added ON versions (collection, date_added_us);
-- (id, collection, version) rather than (collection, id, version): every
-- lookup is by equality on both, and rule 9 also needs an id across all
-- collections.
CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us);

-- Reverse index of relationship/sighting ends: which versions name end_id.
CREATE TABLE ends (
	end_id  TEXT NOT NULL,
	rel_vid INTEGER NOT NULL,
	PRIMARY KEY (end_id, rel_vid)
) WITHOUT ROWID;

CREATE TABLE statuses (
	id   TEXT PRIMARY KEY,
	org  TEXT NOT NULL,
	body TEXT NOT NULL
) WITHOUT ROWID;

-- directory_version grows with every directory change; audiences stay
-- right until audiences_valid_until_us (0: forever), when an agreement
-- enters or leaves force.
CREATE TABLE store_state (
	id                       INTEGER PRIMARY KEY CHECK (id = 1),
	directory_version        INTEGER NOT NULL,
	audiences_valid_until_us INTEGER NOT NULL
);
INSERT INTO store_state (id, directory_version, audiences_valid_until_us) VALUES (1, 0, 0);
