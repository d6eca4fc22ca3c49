-- Benefit administration (cycles and the ledger), the register-wide entitlement snapshots of the
-- newly-eligible job, the follow-up items it creates for streets, and per-tenant job runs.
-- Same conventions as the foundation: tenant_id leads every key and index; RLS enabled and forced.

-- A cycle is one program and one period (`2026`, `2026-03`, `once`, or an event date `2026-03-08`).
CREATE TABLE benefit_cycles (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    program       text NOT NULL,
    period        text NOT NULL,
    -- The date the register is evaluated on when the cycle is generated.
    evaluated_on  date NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    generated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, program, period)
);

-- The ledger: one row per tenant, program, period and beneficiary (a household, or one parent).
-- The primary key is that natural key, so regenerating a cycle, or two generations at once, can never
-- propose (and so pay) anyone twice.
CREATE TABLE benefit_entries (
    tenant_id          uuid NOT NULL,
    program            text NOT NULL,
    period             text NOT NULL,
    family_id          uuid NOT NULL,
    person             text NOT NULL CHECK (person IN ('household', 'mother', 'father')),
    id                 uuid NOT NULL,
    cycle_id           uuid NOT NULL,
    -- The family's street when the entry was proposed: the street that verifies it.
    street_id          uuid NOT NULL,
    amount_cny         bigint CHECK (amount_cny >= 0),
    payer              text NOT NULL,
    basis              text NOT NULL,
    status             text NOT NULL DEFAULT 'proposed'
                       CHECK (status IN ('proposed', 'verified', 'rejected', 'approved', 'paid', 'exited')),
    exit_reason        text CHECK (exit_reason IN ('rebirth', 'adoption', 'death', 'moved_away', 'no_longer_eligible', 'other')),
    exit_detail        text,
    verify_note        text,
    reject_reason      text,
    payment_reference  text,
    verified_by        text,
    verified_at        timestamptz,
    approved_by        text,
    approved_at        timestamptz,
    paid_by            text,
    paid_at            timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, program, period, family_id, person),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, cycle_id) REFERENCES benefit_cycles (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id),
    CHECK ((status = 'exited') = (exit_reason IS NOT NULL)),
    CHECK (status <> 'paid' OR payment_reference IS NOT NULL),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL)
);
CREATE INDEX benefit_entries_by_cycle ON benefit_entries (tenant_id, cycle_id, street_id, status);
CREATE INDEX benefit_entries_by_family ON benefit_entries (tenant_id, family_id);

-- What the newly-eligible job last saw for each family: [{program, person, amount_cny, period, payer}].
CREATE TABLE entitlement_snapshots (
    tenant_id     uuid NOT NULL,
    family_id     uuid NOT NULL,
    programs      jsonb NOT NULL,
    evaluated_on  date NOT NULL,
    PRIMARY KEY (tenant_id, family_id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);

-- A follow-up for a street: a family's entitlements changed (newly eligible, no longer eligible, amount).
-- One per family, change and date, so re-running the job on a date adds nothing.
CREATE TABLE follow_ups (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    family_id    uuid NOT NULL,
    street_id    uuid NOT NULL,
    change       text NOT NULL CHECK (change IN ('gained', 'lost', 'amount_changed')),
    program      text NOT NULL,
    person       text NOT NULL CHECK (person IN ('household', 'mother', 'father')),
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_on   date NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_by      text,
    done_at      timestamptz,
    done_note    text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, family_id, change, program, person, created_on),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id),
    CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX follow_ups_by_street ON follow_ups (tenant_id, street_id, status, created_on DESC);

-- The last date a daily job ran for a tenant: claimed with one conditional upsert, so of several nodes
-- exactly one runs it each day.
CREATE TABLE job_runs (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    job          text NOT NULL,
    last_run_on  date NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, job)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['benefit_cycles', 'benefit_entries', 'entitlement_snapshots', 'follow_ups', 'job_runs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

-- Ledger rows are never deleted: a wrong entry is rejected or exited, and the trail stays.
GRANT SELECT, INSERT, UPDATE ON benefit_cycles, benefit_entries, follow_ups, job_runs TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON entitlement_snapshots TO nuanxin_app;
