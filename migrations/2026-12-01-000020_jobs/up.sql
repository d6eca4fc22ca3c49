-- The scheduler's runs (services/nuanxin/src/jobs): one row per job and district ('platform' for a job
-- that runs once for the whole platform), holding the last period claimed. A node claims a period with
-- one conditional upsert, so of several nodes exactly one runs each job per district and period, and an
-- earlier period never runs after a later one. One row per job and district, not per period: a job every
-- 2 seconds over 100 districts would otherwise add four million rows a day. No family data: job names,
-- district slugs, times and outcomes, so no row-level security.
ALTER TABLE job_runs RENAME TO job_runs_daily;
ALTER TABLE job_runs_daily NO FORCE ROW LEVEL SECURITY;
ALTER TABLE job_runs_daily DISABLE ROW LEVEL SECURITY;

CREATE TABLE job_runs (
    job             text NOT NULL,
    -- The district's slug, or 'platform' (reserved: never a district's slug, as it is the operators' domain).
    domain          text NOT NULL,
    period_start    timestamptz NOT NULL,
    -- Names the claim, so that only its holder records the outcome.
    claim_id        uuid NOT NULL,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    -- NULL while running.
    succeeded       boolean,
    -- What the run did, or why it failed (never personal data).
    detail          text,
    last_success_at timestamptz,
    PRIMARY KEY (job, domain)
);

INSERT INTO job_runs (job, domain, period_start, claim_id, claimed_at, finished_at, succeeded, last_success_at)
SELECT d.job, t.slug, d.last_run_on::timestamp AT TIME ZONE t.time_zone, gen_random_uuid(), d.updated_at,
       d.updated_at, true, d.updated_at
FROM job_runs_daily d JOIN tenants t ON t.id = d.tenant_id;
DROP TABLE job_runs_daily;

GRANT SELECT, INSERT, UPDATE ON job_runs TO nuanxin_app;
