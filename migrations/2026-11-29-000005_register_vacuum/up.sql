-- Lists count and filter through index-only scans, which skip the table only on pages the visibility map
-- marks all-visible, and vacuum sets those marks. A register grows by imports of thousands of families at
-- once and changes rarely; PostgreSQL's default would vacuum only after inserts of a fifth of the table,
-- leaving an import's pages unmarked (and lists reading them row by row) for days. Vacuum after 1 % instead.
ALTER TABLE families SET (autovacuum_vacuum_insert_scale_factor = 0.01,
                          autovacuum_vacuum_scale_factor = 0.02,
                          autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE family_members SET (autovacuum_vacuum_insert_scale_factor = 0.01,
                                autovacuum_vacuum_scale_factor = 0.02,
                                autovacuum_analyze_scale_factor = 0.02);
