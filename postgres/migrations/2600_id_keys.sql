-- Object ids are indexed by an 8-byte integer key (core.IDKey): the first
-- 16 hexadecimal digits of the id's UUID, or 0 for an id that does not end
-- in one. ends keep the key of each end rather than its id, as SQLite's do
-- (see its migration 2600): the reverse index is a third the size. Every
-- reader of ends joins the relationship's version, whose ends column names
-- them, and every lookup by key tests the id too. versions gets the key as
-- a column, which the core's lookups test beside the id; PostgreSQL keeps
-- its unique index on the id, which the superseded trigger and the write's
-- uniqueness use.

ALTER TABLE versions ADD COLUMN idk bigint NOT NULL DEFAULT 0;
UPDATE versions SET idk = k.key FROM (
	SELECT vid, CASE WHEN u ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
		THEN ('x' || substr(k.u, 1, 8) || substr(k.u, 10, 4) || substr(k.u, 15, 4))::bit(64)::bigint ELSE 0 END AS key
	FROM (SELECT vid, right(id, 36) AS u FROM versions) k
) k WHERE versions.vid = k.vid AND k.key <> 0;
-- No default: a writer that does not know the key (a binary from before
-- this migration) fails rather than storing versions that no lookup by
-- key would find, whose links rule 9 would then not narrow.
ALTER TABLE versions ALTER COLUMN idk DROP DEFAULT;
-- The core's probes by id test the key beside the id; with it in the
-- index they stay index-only scans.
DROP INDEX versions_key;
CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us, originator) INCLUDE (audience_id, spec_version, date_added_us, idk);

CREATE TABLE ends_by_key (
	end_k   bigint NOT NULL,
	rel_vid bigint NOT NULL,
	PRIMARY KEY (end_k, rel_vid)
);
INSERT INTO ends_by_key (end_k, rel_vid)
	SELECT DISTINCT CASE WHEN u ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
		THEN ('x' || substr(k.u, 1, 8) || substr(k.u, 10, 4) || substr(k.u, 15, 4))::bit(64)::bigint ELSE 0 END, rel_vid
	FROM (SELECT right(end_id, 36) AS u, rel_vid FROM ends) k;
DROP TABLE ends;
ALTER TABLE ends_by_key RENAME TO ends;
ALTER INDEX ends_by_key_pkey RENAME TO ends_pkey;
