-- Witnessing (package audit, ARCHITECTURE.md "Audit"). As a witness,
-- this office keeps, for each peer it pulls from and witnesses, the
-- peer's audit verifier key, the newest checkpoint it cosigned (the
-- whole cosigned note) and a sticky alarm when the peer showed a fork or
-- a rollback; audit_cosigned keeps every checkpoint it cosigned. As a
-- log, audit_witnesses pins each witnessing peer's cosignature key at
-- its first cosignature; the cosignatures themselves are added as
-- signature lines to the notes in audit_checkpoints.

CREATE TABLE audit_witnessed (
	peer       text PRIMARY KEY,
	log_key    text NOT NULL,
	size       bigint NOT NULL DEFAULT 0,
	note       text NOT NULL DEFAULT '',
	seen_us    bigint NOT NULL DEFAULT 0,
	checked_us bigint NOT NULL DEFAULT 0,
	error      text NOT NULL DEFAULT '',
	alarm      text NOT NULL DEFAULT '',
	alarm_note text NOT NULL DEFAULT '',
	alarm_us   bigint NOT NULL DEFAULT 0
);

CREATE TABLE audit_cosigned (
	peer  text NOT NULL,
	size  bigint NOT NULL,
	at_us bigint NOT NULL,
	note  text NOT NULL,
	PRIMARY KEY (peer, size)
);

CREATE TABLE audit_witnesses (
	peer      text PRIMARY KEY,
	key       text NOT NULL,
	last_size bigint NOT NULL DEFAULT 0,
	last_us   bigint NOT NULL DEFAULT 0
);
