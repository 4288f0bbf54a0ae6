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
	collection    text NOT NULL,
	date_added_us bigint NOT NULL,
	id            text NOT NULL,
	version_us    bigint NOT NULL,
	PRIMARY KEY (collection, date_added_us)
);
CREATE INDEX audit_gone_id ON audit_gone (id);

CREATE FUNCTION versions_audit_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit_gone (collection, date_added_us, id, version_us)
	VALUES (OLD.collection, OLD.date_added_us, OLD.id, OLD.version_us)
	ON CONFLICT DO NOTHING;
	RETURN OLD;
END;
$$;
CREATE TRIGGER versions_audit_gone AFTER DELETE ON versions
	FOR EACH ROW EXECUTE FUNCTION versions_audit_gone();
