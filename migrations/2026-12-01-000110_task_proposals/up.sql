-- Tasks proposed from entitlements (issue 10): one row per family, program and service, so the daily run
-- that finds the same entitlement again only marks it seen. The street accepts a proposal by creating its
-- task (the task's series is kept here) or dismisses it with a reason; a proposal whose entitlement is
-- gone lapses, and opens again if the family is entitled again. Nothing is deleted.
CREATE TABLE task_proposals (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    family_id       uuid NOT NULL,
    street_id       uuid NOT NULL,
    community_id    uuid NOT NULL,
    program         text NOT NULL,
    service         text NOT NULL,
    -- The entitled parents it is for ('mother', 'father', 'father,mother'); '' for a household program.
    persons         text NOT NULL DEFAULT '',
    by_phone        boolean NOT NULL DEFAULT false,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 300),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'accepted', 'dismissed', 'lapsed')),
    first_proposed_on date NOT NULL,
    -- The last day a run found the entitlement.
    seen_on         date NOT NULL,
    task_series_id  uuid,
    decision_reason text CHECK (decision_reason IS NULL OR length(decision_reason) BETWEEN 1 AND 200),
    decided_by      text,
    decided_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, family_id, program, service),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    CHECK ((status = 'accepted') = (task_series_id IS NOT NULL)),
    CHECK (status <> 'dismissed' OR decision_reason IS NOT NULL)
);
CREATE INDEX task_proposals_open ON task_proposals (tenant_id, street_id, first_proposed_on)
    WHERE status = 'open';
ALTER TABLE task_proposals ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_proposals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON task_proposals USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT, INSERT, UPDATE ON task_proposals TO nuanxin_app;
