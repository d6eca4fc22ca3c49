DROP TABLE IF EXISTS job_runs;
DROP TABLE IF EXISTS follow_ups;
DROP TABLE IF EXISTS entitlement_snapshots;
DROP TABLE IF EXISTS benefit_entries;
DROP TABLE IF EXISTS benefit_cycles;
