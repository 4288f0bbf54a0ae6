-- Rule 9 asks, for each end of a relationship, who may read it in every
-- collection that stores it; carrying audience_id next to (id, collection)
-- answers that from the index alone.
CREATE INDEX versions_id_audience ON versions (id, collection, audience_id);
