-- FTS5 keeps the words of a transaction's new documents in an in-memory
-- hash and writes them out as one new index segment at the commit, or
-- earlier, as soon as the hash passes its hashsize (1 MiB by default). A
-- group commit of 4,000 benchmark objects holds some 5 MB of words, so
-- each one wrote several small segments, which the automerge then merged
-- over again. At 32 MiB a group commit of up to 8,000 objects
-- (maxGroupObjects) is one segment. The memory is the writer's alone,
-- and only while a write is open.
INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', 33554432);
