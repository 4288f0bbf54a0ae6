-- Object ids are indexed by an 8-byte integer key rather than their text
-- (core.IDKey): the first 16 hexadecimal digits of the id's UUID, or 0 for
-- an id that does not end in one. versions_key and ends are keyed by
-- random ids, so ingest writes them a page an object once they outgrow a
-- commit; at 1M objects the text keys (40 to 60 bytes) no longer fitted the
-- writer's cache. Every lookup by key also tests the id: two ids may share
-- a key. The expression below is core.IDKey in SQL (TestIDKeyMigration):
-- u is the id's last 36 characters, and each digit's value is its place
-- in '0123456789abcdef'.

ALTER TABLE versions ADD COLUMN idk INTEGER NOT NULL DEFAULT 0;
UPDATE versions SET idk = (SELECT CASE WHEN k.u GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN (((instr('0123456789abcdef', substr(k.u, 1, 1)) - 1) * 268435456 + (instr('0123456789abcdef', substr(k.u, 2, 1)) - 1) * 16777216 + (instr('0123456789abcdef', substr(k.u, 3, 1)) - 1) * 1048576 + (instr('0123456789abcdef', substr(k.u, 4, 1)) - 1) * 65536 + (instr('0123456789abcdef', substr(k.u, 5, 1)) - 1) * 4096 + (instr('0123456789abcdef', substr(k.u, 6, 1)) - 1) * 256 + (instr('0123456789abcdef', substr(k.u, 7, 1)) - 1) * 16 + (instr('0123456789abcdef', substr(k.u, 8, 1)) - 1) * 1) << 32) | ((instr('0123456789abcdef', substr(k.u, 10, 1)) - 1) * 268435456 + (instr('0123456789abcdef', substr(k.u, 11, 1)) - 1) * 16777216 + (instr('0123456789abcdef', substr(k.u, 12, 1)) - 1) * 1048576 + (instr('0123456789abcdef', substr(k.u, 13, 1)) - 1) * 65536 + (instr('0123456789abcdef', substr(k.u, 15, 1)) - 1) * 4096 + (instr('0123456789abcdef', substr(k.u, 16, 1)) - 1) * 256 + (instr('0123456789abcdef', substr(k.u, 17, 1)) - 1) * 16 + (instr('0123456789abcdef', substr(k.u, 18, 1)) - 1) * 1) ELSE 0 END FROM (SELECT substr(versions.id, -36) AS u) k);
DROP INDEX versions_key;
CREATE INDEX versions_key ON versions (idk, version_us, date_added_us);
-- A writer that does not know the key (a binary from before this
-- migration) leaves it 0 for a version whose id has one: refused, rather
-- than stored where no lookup by key would find it and rule 9 would not
-- narrow its links. (SQLite cannot drop a column's default.)
CREATE TRIGGER versions_idk_set BEFORE INSERT ON versions
	WHEN NEW.idk = 0 AND substr(NEW.id, -36) GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
BEGIN
	SELECT RAISE(ABORT, 'versions.idk is not set: this store needs a liaison that writes id keys (migration 2600)');
END;

-- ends keep the key of each end and not its id: every reader of ends joins
-- the relationship's version, whose ends column names them.
CREATE TABLE ends_by_key (
	end_k   INTEGER NOT NULL,
	rel_vid INTEGER NOT NULL,
	PRIMARY KEY (end_k, rel_vid)
) WITHOUT ROWID;
INSERT OR IGNORE INTO ends_by_key (end_k, rel_vid)
	SELECT (SELECT CASE WHEN k.u GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN (((instr('0123456789abcdef', substr(k.u, 1, 1)) - 1) * 268435456 + (instr('0123456789abcdef', substr(k.u, 2, 1)) - 1) * 16777216 + (instr('0123456789abcdef', substr(k.u, 3, 1)) - 1) * 1048576 + (instr('0123456789abcdef', substr(k.u, 4, 1)) - 1) * 65536 + (instr('0123456789abcdef', substr(k.u, 5, 1)) - 1) * 4096 + (instr('0123456789abcdef', substr(k.u, 6, 1)) - 1) * 256 + (instr('0123456789abcdef', substr(k.u, 7, 1)) - 1) * 16 + (instr('0123456789abcdef', substr(k.u, 8, 1)) - 1) * 1) << 32) | ((instr('0123456789abcdef', substr(k.u, 10, 1)) - 1) * 268435456 + (instr('0123456789abcdef', substr(k.u, 11, 1)) - 1) * 16777216 + (instr('0123456789abcdef', substr(k.u, 12, 1)) - 1) * 1048576 + (instr('0123456789abcdef', substr(k.u, 13, 1)) - 1) * 65536 + (instr('0123456789abcdef', substr(k.u, 15, 1)) - 1) * 4096 + (instr('0123456789abcdef', substr(k.u, 16, 1)) - 1) * 256 + (instr('0123456789abcdef', substr(k.u, 17, 1)) - 1) * 16 + (instr('0123456789abcdef', substr(k.u, 18, 1)) - 1) * 1) ELSE 0 END FROM (SELECT substr(ends.end_id, -36) AS u) k), rel_vid FROM ends;
DROP TABLE ends;
ALTER TABLE ends_by_key RENAME TO ends;
