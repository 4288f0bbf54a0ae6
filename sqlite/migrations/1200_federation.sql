-- Federation between offices (ARCHITECTURE.md, "Federation").
--
-- A label gains what a version carried from a peer: carried is the
-- serving office's audience as org codes ('*': nothing carried, the
-- version was written here), and via names the peer it came from, so
-- that it is never served back there. The inline UNIQUE of labels cannot
-- be altered, so the table is rebuilt; versions keep their label ids,
-- checked when the migration commits.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE labels_federated (
	id          INTEGER PRIMARY KEY,
	originator  TEXT NOT NULL,
	markings    TEXT NOT NULL,
	carried     TEXT NOT NULL DEFAULT '*',
	via         TEXT NOT NULL DEFAULT '',
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	UNIQUE (originator, markings, carried, via)
);
INSERT INTO labels_federated (id, originator, markings, audience_id) SELECT id, originator, markings, audience_id FROM labels;
DROP TABLE labels;
ALTER TABLE labels_federated RENAME TO labels;

-- The serving side: one grant per peer office; only the SHA-256 of its
-- token is kept. serves is a JSON array of org codes and communities.
CREATE TABLE peer_grants (
	name       TEXT PRIMARY KEY,
	serves     TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	created_us INTEGER NOT NULL
) WITHOUT ROWID;

-- The change feed: every change of a version's audience and every
-- deletion, in commit order (writes are serialised). A peer reads the
-- entries after its cursor for versions it could read before or can read
-- now.
CREATE TABLE peer_changes (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	vid             INTEGER NOT NULL,
	collection      TEXT NOT NULL,
	id              TEXT NOT NULL,
	version_us      INTEGER NOT NULL,
	originator      TEXT NOT NULL,
	label_id        INTEGER NOT NULL,
	old_audience_id INTEGER NOT NULL,
	deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER versions_audience_changed AFTER UPDATE OF audience_id ON versions
	WHEN OLD.audience_id != NEW.audience_id
BEGIN
	INSERT INTO peer_changes (vid, collection, id, version_us, originator, label_id, old_audience_id)
	VALUES (NEW.vid, NEW.collection, NEW.id, NEW.version_us, NEW.originator, NEW.label_id, OLD.audience_id);
END;
CREATE TRIGGER versions_deleted AFTER DELETE ON versions
BEGIN
	INSERT INTO peer_changes (vid, collection, id, version_us, originator, label_id, old_audience_id, deleted)
	VALUES (OLD.vid, OLD.collection, OLD.id, OLD.version_us, OLD.originator, OLD.label_id, OLD.audience_id, 1);
END;

-- The pulling side: one row per peer pulled from, with its state.
CREATE TABLE peer_pulls (
	name          TEXT PRIMARY KEY,
	url           TEXT NOT NULL,
	token         TEXT NOT NULL,
	collections   TEXT NOT NULL, -- JSON array of {"remote":…,"local":…}
	change_seq    INTEGER NOT NULL DEFAULT 0,
	last_ok_us    INTEGER NOT NULL DEFAULT 0,
	last_try_us   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	failures      INTEGER NOT NULL DEFAULT 0,
	created_us    INTEGER NOT NULL
) WITHOUT ROWID;
-- The cursor of each pulled collection: the X-TAXII-Date-Added-Last of
-- the last page written, committed with that page's objects.
CREATE TABLE peer_cursors (
	peer       TEXT NOT NULL,
	remote     TEXT NOT NULL,
	after_us   INTEGER NOT NULL DEFAULT 0,
	received   INTEGER NOT NULL DEFAULT 0,
	remote_lag INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (peer, remote)
) WITHOUT ROWID;
-- Objects a peer sent that were refused here, with why.
CREATE TABLE peer_rejects (
	seq     INTEGER PRIMARY KEY,
	peer    TEXT NOT NULL,
	remote  TEXT NOT NULL,
	id      TEXT NOT NULL,
	message TEXT NOT NULL,
	at_us   INTEGER NOT NULL
);
CREATE INDEX peer_rejects_peer ON peer_rejects (peer, seq);
