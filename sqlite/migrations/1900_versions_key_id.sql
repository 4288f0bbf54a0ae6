-- versions_key was (id, collection, version_us, originator), unique: some
-- 100 bytes an entry, keyed by random object ids, so every commit of a
-- bulk ingest dirtied about a page of it per object written, and at 1M
-- objects that index made most of the write-ahead log (some 40 KB of log
-- per object stored; see README, Performance). Every lookup by id finds
-- an id's few versions and reads their rows anyway (the audience, the
-- bytes), so the key drops the collection and the originator. It keeps
-- the version and date_added, so that the probes for an earlier instance
-- of a version and for a later version (internal/objquery) still seek
-- within one id rather than walk the collection's dates.
--
-- Its uniqueness was a backstop: the write path (core) finds what is
-- stored before it writes, under the single writer, and never writes an
-- instance twice; a snapshot import refuses one named twice.
DROP INDEX versions_key;
CREATE INDEX versions_key ON versions (id, version_us, date_added_us);
