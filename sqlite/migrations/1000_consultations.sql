-- Consultations and their contributions. A consultation's audience_id is
-- the set of organisations that may see it (consult.Readers), kept in the
-- same audiences tables as objects and recomputed when the directory
-- changes (consult_state records against which directory it was).

CREATE TABLE consultations (
	id          INTEGER PRIMARY KEY,
	convenor    TEXT NOT NULL REFERENCES organisations (code),
	status      TEXT NOT NULL CHECK (status IN ('draft', 'open', 'concluded', 'cancelled')),
	body        TEXT NOT NULL, -- the consultation as JSON
	audience_id INTEGER NOT NULL REFERENCES audiences (id),
	created_us  INTEGER NOT NULL,
	updated_us  INTEGER NOT NULL
);
CREATE INDEX consultations_audience ON consultations (audience_id, id);

CREATE TABLE contributions (
	id              INTEGER PRIMARY KEY,
	consultation_id INTEGER NOT NULL REFERENCES consultations (id),
	agenda_item     INTEGER NOT NULL,
	author_id       INTEGER NOT NULL REFERENCES users (id),
	author          TEXT NOT NULL,
	org             TEXT NOT NULL,
	text            TEXT NOT NULL,
	refs            TEXT NOT NULL, -- JSON array of STIX ids
	withdrawn       INTEGER NOT NULL DEFAULT 0,
	created_us      INTEGER NOT NULL,
	updated_us      INTEGER NOT NULL
);
CREATE INDEX contributions_consultation ON contributions (consultation_id, id);

-- Earlier states of contributions: appended on edit and withdrawal, never
-- changed.
CREATE TABLE contribution_history (
	contribution_id INTEGER NOT NULL REFERENCES contributions (id),
	seq             INTEGER NOT NULL,
	text            TEXT NOT NULL,
	refs            TEXT NOT NULL,
	at_us           INTEGER NOT NULL,
	change          TEXT NOT NULL CHECK (change IN ('edit', 'withdraw')),
	reason          TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (contribution_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER contribution_history_no_update BEFORE UPDATE ON contribution_history
BEGIN SELECT RAISE(ABORT, 'contribution history cannot be changed'); END;
CREATE TRIGGER contribution_history_no_delete BEFORE DELETE ON contribution_history
BEGIN SELECT RAISE(ABORT, 'contribution history cannot be changed'); END;

-- The directory version and validity that consultation and proposal
-- audiences were last computed against; -1 forces a first computation.
CREATE TABLE consult_state (
	id                INTEGER PRIMARY KEY CHECK (id = 1),
	directory_version INTEGER NOT NULL,
	valid_until_us    INTEGER NOT NULL
);
INSERT INTO consult_state (id, directory_version, valid_until_us) VALUES (1, -1, 0);
