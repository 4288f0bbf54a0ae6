-- A write over a version the writer cannot read is kept as an instance of
-- its own (polyinstantiation; ARCHITECTURE.md, "Writes over hidden
-- versions"): the key gains the originator, and shadow marks every
-- instance written after the first, which a reader sees only when they
-- can read no earlier instance of that version.
ALTER TABLE versions ADD COLUMN shadow INTEGER NOT NULL DEFAULT 0;
DROP INDEX versions_key;
CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us, originator);
