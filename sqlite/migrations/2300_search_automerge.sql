-- FTS5 merges its index segments as they pile up: with its default
-- automerge of 4, a level is merged once it holds 4 segments, so every
-- word of every document is rewritten about log4 of (documents / segment
-- size) times. Under a bulk ingest that merging was a fifth of the single
-- writer's time (BenchmarkAddObjects, 100k objects). At 16 a word is
-- rewritten half as often, and a query reads at most 15 segments a level
-- instead of 3, a few more b-tree seeks per word. The setting is kept in
-- the index's own config table.
INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 16);
