-- Full-text search. search_docs holds, per object version, the words of
-- its three searchable parts (textsearch.Doc, each already reduced to
-- lower-case words): name, tags (aliases, labels, external ids, short
-- x_mitre_* values) and body (description, pattern, longer x_mitre_*
-- texts). search_fts indexes them with FTS5, reading its content from
-- search_docs; the triggers keep it in step, and deleting a version
-- deletes its document.
CREATE TABLE search_docs (
	vid  INTEGER PRIMARY KEY REFERENCES versions (vid) ON DELETE CASCADE,
	name TEXT NOT NULL,
	tags TEXT NOT NULL,
	body TEXT NOT NULL
);
CREATE VIRTUAL TABLE search_fts USING fts5 (name, tags, body, content = 'search_docs', content_rowid = 'vid', tokenize = 'unicode61');
CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
	INSERT INTO search_fts (rowid, name, tags, body) VALUES (new.vid, new.name, new.tags, new.body);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
	INSERT INTO search_fts (search_fts, rowid, name, tags, body) VALUES ('delete', old.vid, old.name, old.tags, old.body);
END;

-- The versions stored before this migration get their documents when the
-- store next opens (core.Office.BackfillSearch), in batches after
-- after_vid; the row goes once every version has one.
CREATE TABLE search_backfill (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	after_vid INTEGER NOT NULL
);
INSERT INTO search_backfill (id, after_vid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM versions);
