-- Witnessing (package audit, ARCHITECTURE.md "Audit"). As a witness,
-- this office keeps, for each peer it pulls from and witnesses, the
-- peer's audit verifier key, the newest checkpoint it cosigned (the
-- whole cosigned note) and a sticky alarm when the peer showed a fork or
-- a rollback; audit_cosigned keeps every checkpoint it cosigned. As a
-- log, audit_witnesses pins each witnessing peer's cosignature key at
-- its first cosignature; the cosignatures themselves are added as
-- signature lines to the notes in audit_checkpoints.

CREATE TABLE audit_witnessed (
	peer       TEXT PRIMARY KEY,
	log_key    TEXT NOT NULL,
	size       INTEGER NOT NULL DEFAULT 0,
	note       TEXT NOT NULL DEFAULT '',
	seen_us    INTEGER NOT NULL DEFAULT 0,
	checked_us INTEGER NOT NULL DEFAULT 0,
	error      TEXT NOT NULL DEFAULT '',
	alarm      TEXT NOT NULL DEFAULT '',
	alarm_note TEXT NOT NULL DEFAULT '',
	alarm_us   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit_cosigned (
	peer  TEXT NOT NULL,
	size  INTEGER NOT NULL,
	at_us INTEGER NOT NULL,
	note  TEXT NOT NULL,
	PRIMARY KEY (peer, size)
);

CREATE TABLE audit_witnesses (
	peer      TEXT PRIMARY KEY,
	key       TEXT NOT NULL,
	last_size INTEGER NOT NULL DEFAULT 0,
	last_us   INTEGER NOT NULL DEFAULT 0
);
