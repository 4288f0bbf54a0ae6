-- A page read by a reader who may read only a few audiences walks this
-- index once per audience, each walk in date_added order, and merges the
-- walks: it costs about the page size, however small a share of the
-- collection the reader may read (see readPage).
CREATE INDEX versions_audience_added ON versions (collection, audience_id, date_added_us);
