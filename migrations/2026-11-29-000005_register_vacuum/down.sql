ALTER TABLE families RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_scale_factor,
                            autovacuum_analyze_scale_factor);
ALTER TABLE family_members RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_scale_factor,
                                  autovacuum_analyze_scale_factor);
