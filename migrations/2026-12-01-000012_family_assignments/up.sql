-- Households given to a person or an organization by their work: a service task offered or assigned, a
-- neighbour pairing, a data release, a contact person's duty. This is what `Scope::Assigned` reads: a
-- social organization or a volunteer reaches a family only through a row here that is in force, and
-- only for the fields its work's own views show. Each module writes and ends its own rows.
CREATE TABLE family_assignments (
    tenant_id    uuid NOT NULL,
    -- What gives the access, e.g. 'task', 'pairing', 'release', 'contact'; and which one.
    source       text NOT NULL CHECK (source ~ '^[a-z_]{1,32}$'),
    source_id    uuid NOT NULL,
    family_id    uuid NOT NULL,
    -- A person (user account) or an organization (org unit), or both.
    user_id      uuid,
    org_unit_id  uuid,
    starts_at    timestamptz NOT NULL DEFAULT now(),
    -- NULL while the work lasts; the access ends at this moment.
    ends_at      timestamptz,
    PRIMARY KEY (tenant_id, source, source_id, family_id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    CHECK (user_id IS NOT NULL OR org_unit_id IS NOT NULL)
);
CREATE INDEX family_assignments_by_user ON family_assignments (tenant_id, user_id, family_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX family_assignments_by_org ON family_assignments (tenant_id, org_unit_id, family_id)
    WHERE org_unit_id IS NOT NULL;

ALTER TABLE family_assignments ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_assignments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON family_assignments USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT, INSERT, UPDATE ON family_assignments TO nuanxin_app;
