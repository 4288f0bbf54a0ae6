-- Full-text search. search_docs holds, per object version, the words of
-- its three searchable parts (textsearch.Doc, each already reduced to
-- lower-case words): name (weight A), tags (B: aliases, labels, external
-- ids, short x_mitre_* values) and body (C: description, pattern, longer
-- x_mitre_* texts). doc is their tsvector, under a GIN index; deleting a
-- version deletes its document.
CREATE TABLE search_docs (
	vid  bigint PRIMARY KEY REFERENCES versions (vid) ON DELETE CASCADE,
	name text NOT NULL,
	tags text NOT NULL,
	body text NOT NULL,
	doc  tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple'::regconfig, name), 'A') ||
		setweight(to_tsvector('simple'::regconfig, tags), 'B') ||
		setweight(to_tsvector('simple'::regconfig, body), 'C')) STORED
);
CREATE INDEX search_docs_doc ON search_docs USING gin (doc);

-- The versions stored before this migration get their documents when the
-- store next opens (core.Office.BackfillSearch), in batches after
-- after_vid; the row goes once every version has one.
CREATE TABLE search_backfill (
	id        integer PRIMARY KEY CHECK (id = 1),
	after_vid bigint NOT NULL
);
INSERT INTO search_backfill (id, after_vid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM versions);
