-- Progress on the objectives of a programme (an agreement of kind
-- 'programme'): objective is an index into agreements.objectives; the
-- latest record of an objective is its standing.

CREATE TABLE objective_progress (
	id        INTEGER PRIMARY KEY,
	agreement INTEGER NOT NULL REFERENCES agreements (id),
	objective INTEGER NOT NULL CHECK (objective >= 0),
	percent   INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
	note      TEXT NOT NULL DEFAULT '',
	by_user   TEXT NOT NULL,
	at_us     INTEGER NOT NULL
);
CREATE INDEX objective_progress_agreement ON objective_progress (agreement, id);
