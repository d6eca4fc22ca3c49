ALTER TABLE job_runs RENAME TO job_runs_periods;
CREATE TABLE job_runs (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    job          text NOT NULL,
    last_run_on  date NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job)
);
INSERT INTO job_runs (tenant_id, job, last_run_on, updated_at)
SELECT t.id, p.job, (p.period_start AT TIME ZONE t.time_zone)::date, p.claimed_at
FROM job_runs_periods p JOIN tenants t ON t.slug = p.domain
WHERE p.job = 'newly_eligible';
DROP TABLE job_runs_periods;
ALTER TABLE job_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_runs USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT, INSERT, UPDATE ON job_runs TO nuanxin_app;
