-- Recomputing audiences after a directory change or an agreement's expiry
-- touches only versions whose label's audience changed; this index finds
-- them without scanning every version.
CREATE INDEX versions_label ON versions (label_id);
