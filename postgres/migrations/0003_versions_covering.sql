-- A page read walks (collection, date_added) and skips what the reader may
-- not read. Carrying the columns its filters use in the index lets it skip
-- from the index alone (an index-only scan, once VACUUM has marked the
-- pages all-visible) instead of visiting each wide row: a reader who may
-- read little of a large collection pages fast. The row is read only for
-- the page's own versions. The first/last test looks up versions_key, which
-- carries the audience and spec_version for the same reason.
DROP INDEX versions_added;
CREATE UNIQUE INDEX versions_added ON versions (collection, date_added_us) INCLUDE (audience_id, vid, id, version_us, type, spec_version);
DROP INDEX versions_key;
CREATE UNIQUE INDEX versions_key ON versions (id, collection, version_us) INCLUDE (audience_id, spec_version);
