-- Page reads plan well only with current statistics of versions (see
-- analyze.go): let autovacuum analyze it after 2% of new rows rather than
-- the default 10%.
ALTER TABLE versions SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 500);
