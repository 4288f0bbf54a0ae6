-- Page reads walk (collection, date_added) and skip what the reader may not
-- read; carrying audience_id in the index lets them skip without reading
-- the row, so a reader who may read little of a large collection still
-- pages fast. date_added stays unique per collection by construction: the
-- single writer assigns max(now, high-water mark + 1) inside its
-- transaction (see AddObjects).
DROP INDEX versions_added;
CREATE INDEX versions_added ON versions (collection, date_added_us, audience_id);
