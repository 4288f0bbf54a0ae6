-- Draft decisions of the North Atlantic Council and their records. The
-- state of a proposal is derived from its record (decide.Settle); the
-- record is append-only, enforced by triggers.

CREATE TABLE proposals (
	id          INTEGER PRIMARY KEY,
	proposer    TEXT NOT NULL REFERENCES organisations (code),
	procedure   TEXT NOT NULL CHECK (procedure IN ('silence', 'concurrence')),
	marking     TEXT NOT NULL, -- liaison.MarkingSpec as JSON
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	created_us  INTEGER NOT NULL
);
CREATE INDEX proposals_audience ON proposals (audience_id, id);

CREATE TABLE decision_actions (
	proposal_id INTEGER NOT NULL REFERENCES proposals (id),
	seq         INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	round       INTEGER NOT NULL,
	user_id     INTEGER NOT NULL,
	user_name   TEXT NOT NULL,
	org         TEXT NOT NULL,
	at_us       INTEGER NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	deadline_us INTEGER NOT NULL DEFAULT 0,
	allies      TEXT NOT NULL DEFAULT '', -- comma-separated, set on circulate
	title       TEXT NOT NULL DEFAULT '',
	text        TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (proposal_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER decision_actions_no_update BEFORE UPDATE ON decision_actions
BEGIN SELECT RAISE(ABORT, 'the decision record cannot be changed'); END;
CREATE TRIGGER decision_actions_no_delete BEFORE DELETE ON decision_actions
BEGIN SELECT RAISE(ABORT, 'the decision record cannot be changed'); END;
