-- A write over a version the writer cannot read is kept as an instance of
-- its own (polyinstantiation; ARCHITECTURE.md, "Writes over hidden
-- versions"): the key gains the originator, and shadow marks every
-- instance written after the first, which a reader sees only when they
-- can read no earlier instance of that version. The covering indexes of
-- page reads carry shadow, so the test costs no heap visit.
ALTER TABLE versions ADD COLUMN shadow integer NOT NULL DEFAULT 0;
DROP INDEX versions_key;
CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us, originator) INCLUDE (audience_id, spec_version, date_added_us);
DROP INDEX versions_added;
CREATE UNIQUE INDEX versions_added ON versions (collection, date_added_us) INCLUDE (audience_id, vid, id, version_us, type, spec_version, shadow);
DROP INDEX versions_audience_added;
CREATE INDEX versions_audience_added ON versions (collection, audience_id, date_added_us) INCLUDE (vid, id, version_us, type, spec_version, shadow);
