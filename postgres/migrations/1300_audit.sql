-- The audit log (package audit): entries are the leaves of an RFC 6962
-- Merkle tree; audit_hashes holds the tree's hashes at tlog's stored-hash
-- indexes; audit_head is the tree size, and its row the appenders' lock;
-- audit_checkpoints are the signed notes of the tree, newest last.
-- data is the leaf itself; the other columns of audit_entries, and
-- audit_refs, only index it (audit verify checks they agree). audit_refs
-- has its primary key alone: one b-tree insert a version served.

CREATE TABLE audit_entries (
	idx       bigint PRIMARY KEY,
	at_us     bigint NOT NULL,
	principal text NOT NULL,
	org       text NOT NULL,
	action    text NOT NULL,
	path      text NOT NULL,
	data      bytea NOT NULL
);
CREATE INDEX audit_entries_principal ON audit_entries (principal, idx);
CREATE INDEX audit_entries_org ON audit_entries (org, idx);
CREATE INDEX audit_entries_at ON audit_entries (at_us);

-- object_key is audit.ObjectKey(id): the first 8 bytes of the id's
-- SHA-256 as a signed integer; a reader checks the leaf's ids.
CREATE TABLE audit_refs (
	object_key bigint NOT NULL,
	idx        bigint NOT NULL,
	PRIMARY KEY (object_key, idx)
);

CREATE TABLE audit_hashes (
	idx  bigint PRIMARY KEY,
	hash bytea NOT NULL
);

CREATE TABLE audit_head (
	id   integer PRIMARY KEY CHECK (id = 1),
	size bigint NOT NULL
);
INSERT INTO audit_head (id, size) VALUES (1, 0);

CREATE TABLE audit_checkpoints (
	size      bigint PRIMARY KEY,
	signed_us bigint NOT NULL,
	note      text NOT NULL
);
