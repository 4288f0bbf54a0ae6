-- A search document's tsvector was a generated column: PostgreSQL parsed
-- every document's text in the writer's transaction, more of the
-- database's CPU in an ingest than writing the version and its text
-- together. The writer now sends the vector itself, made from the same
-- words to the same value (postgres/tsvector.go), and the column is a
-- plain one; the vectors stored stay as they are. Any row inserted without
-- a vector (a document the writer leaves to PostgreSQL, or an older
-- writer's INSERT) gets it from its text as before, and a change of the
-- text makes it again, so doc is always what the generated column would
-- hold.
ALTER TABLE search_docs ALTER COLUMN doc DROP EXPRESSION;

CREATE FUNCTION search_docs_doc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.doc := setweight(to_tsvector('simple'::regconfig, NEW.name), 'A') ||
		setweight(to_tsvector('simple'::regconfig, NEW.tags), 'B') ||
		setweight(to_tsvector('simple'::regconfig, NEW.body), 'C');
	RETURN NEW;
END
$$;
CREATE TRIGGER search_docs_doc BEFORE INSERT ON search_docs
	FOR EACH ROW WHEN (NEW.doc IS NULL) EXECUTE FUNCTION search_docs_doc();
CREATE TRIGGER search_docs_doc_text BEFORE UPDATE OF name, tags, body ON search_docs
	FOR EACH ROW EXECUTE FUNCTION search_docs_doc();
ALTER TABLE search_docs ALTER COLUMN doc SET NOT NULL;
