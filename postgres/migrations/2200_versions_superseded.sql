-- A page of latest versions tests each candidate for a later version the
-- reader may read: a probe of versions_key per row. At 1M objects that
-- index outgrows shared_buffers, and a page of 1,000 costs some 1,000
-- random index pages, most of them for objects that have one version.
-- superseded is 1 when a later version of the object exists in the
-- collection (whoever may read it), 0 when none does. A version with 0 is
-- therefore the latest for every reader who may read it, and the page
-- skips the probe; one with 1 is probed as before, so that each reader
-- still gets the latest version *they* may read (objquery.Filter.Where).
-- The flag never hides a version and never shows one: it only says when
-- the probe cannot find anything.
--
-- A trigger keeps it, so that every way versions are written (COPY, a
-- plain INSERT, an import, a copy from another store) keeps it too: after
-- each statement that inserts versions, every version of the objects
-- written that has a later version in its collection is marked. Writes
-- are serial (the store_state lock), so no two statements race over one
-- object. A deleted version leaves the flags of earlier ones at 1, which
-- costs them a probe and is never wrong. The flag commits with the
-- versions that set it, so every snapshot, on a replica too, sees both or
-- neither.
ALTER TABLE versions ADD COLUMN superseded integer NOT NULL DEFAULT 0;
UPDATE versions o SET superseded = 1
WHERE EXISTS (SELECT 1 FROM versions l WHERE l.id = o.id AND l.collection = o.collection AND l.version_us > o.version_us);

CREATE FUNCTION versions_mark_superseded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE versions o SET superseded = 1
	FROM (SELECT DISTINCT id, collection FROM new_versions) n
	WHERE o.id = n.id AND o.collection = n.collection AND o.superseded = 0
		AND EXISTS (SELECT 1 FROM versions l WHERE l.id = o.id AND l.collection = o.collection AND l.version_us > o.version_us);
	RETURN NULL;
END
$$;
CREATE TRIGGER versions_mark_superseded AFTER INSERT ON versions
	REFERENCING NEW TABLE AS new_versions
	FOR EACH STATEMENT EXECUTE FUNCTION versions_mark_superseded();

-- The page walks carry the flag, so the test costs no heap visit.
DROP INDEX versions_added;
CREATE UNIQUE INDEX versions_added ON versions (collection, date_added_us) INCLUDE (audience_id, vid, id, version_us, type, spec_version, shadow, superseded);
DROP INDEX versions_audience_added;
CREATE INDEX versions_audience_added ON versions (collection, audience_id, date_added_us) INCLUDE (vid, id, version_us, type, spec_version, shadow, superseded);
