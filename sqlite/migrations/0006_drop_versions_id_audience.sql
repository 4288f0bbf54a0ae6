-- versions_id_audience let rule 9 read who may read an end from the index
-- alone. It was the second index keyed by random object ids, and keeping
-- it up cost about a quarter of insert throughput (raw inserts of 100k
-- benchmark objects: 9.9k rows/s with it, 13.0k without). Rule 9 now reads
-- audience_id from the row that versions_key finds; relationships are a
-- minority of writes and their ends are few.
DROP INDEX versions_id_audience;
