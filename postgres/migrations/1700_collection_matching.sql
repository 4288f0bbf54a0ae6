-- Collections whose observed-data is matched on ingest (core/ingest.go):
-- a row turns matching on for its collection, since since_us.

CREATE TABLE collection_matching (
	collection text PRIMARY KEY REFERENCES collections (id) ON DELETE CASCADE,
	since_us   bigint NOT NULL
);
