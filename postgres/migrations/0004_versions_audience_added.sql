-- A reader who may read only a few audiences pages by walking this index
-- once per audience, each walk in date_added order, merged by PostgreSQL
-- (see pageQuery): the cost is about the page size, however small a share
-- of the collection the reader may read. Without it a page of 1,000 for a
-- reader who sees 4% walked some 25,000 entries of versions_added.
CREATE INDEX versions_audience_added ON versions (collection, audience_id, date_added_us) INCLUDE (vid);
