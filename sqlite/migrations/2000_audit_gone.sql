-- A read's audit entry names the versions it served by instance, a
-- collection and each one's date_added (audit.Served), not by id: who
-- received an object resolves the object's instances and finds the
-- entries that name them. audit_gone keeps the instances of versions
-- deleted since (DeleteObject, a peer's withdrawal), so that who
-- received them stays answerable. The trigger fills it on every path
-- that deletes a version; a migration that rebuilds versions must keep
-- it. (collection, date_added_us) is unique among versions and never
-- reused, so it is the key here too.
CREATE TABLE audit_gone (
	collection    TEXT NOT NULL,
	date_added_us INTEGER NOT NULL,
	id            TEXT NOT NULL,
	version_us    INTEGER NOT NULL,
	PRIMARY KEY (collection, date_added_us)
) WITHOUT ROWID;
CREATE INDEX audit_gone_id ON audit_gone (id);

CREATE TRIGGER versions_audit_gone AFTER DELETE ON versions
BEGIN
	INSERT OR IGNORE INTO audit_gone (collection, date_added_us, id, version_us)
	VALUES (OLD.collection, OLD.date_added_us, OLD.id, OLD.version_us);
END;
