-- Privacy-controlled data sharing (issue 12): a department's requests, the releases approved from them
-- with the records released, and the families' consents. Verifications and each read of a release are
-- audit events (the tamper-evident log); a partial index finds them per object for a family's access log.

-- A family's consent to one department's use of its data for one purpose (a rule with `consent: true`
-- releases only families whose consent is in force on the approval date). Withdrawing keeps the row.
CREATE TABLE sharing_consents (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    family_id     uuid NOT NULL,
    org_unit_code text NOT NULL,
    purpose       text NOT NULL,
    given_on      date NOT NULL,
    -- How it was given: written (书面), oral (口头, with a witness in `note`), online.
    how           text NOT NULL CHECK (how IN ('written', 'oral', 'online')),
    note          text,
    recorded_by   text NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    withdrawn_on  date,
    withdrawn_by  text,
    PRIMARY KEY (tenant_id, family_id, org_unit_code, purpose),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
CREATE INDEX sharing_consents_in_force ON sharing_consents (tenant_id, org_unit_code, purpose, family_id)
    WHERE withdrawn_on IS NULL;

CREATE TABLE data_requests (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    org_unit_id  uuid NOT NULL,
    requested_by uuid NOT NULL,
    purpose      text NOT NULL,
    -- The field codes asked for, in order; the filter as [[name, value], …]; both checked against the rule.
    fields       jsonb NOT NULL,
    filter       jsonb NOT NULL,
    days         integer NOT NULL CHECK (days BETWEEN 1 AND 366),
    status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   uuid,
    decided_at   timestamptz,
    reason       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, org_unit_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, requested_by) REFERENCES users (tenant_id, id),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX data_requests_by_status ON data_requests (tenant_id, status, created_at);
CREATE INDEX data_requests_by_unit ON data_requests (tenant_id, org_unit_id, created_at);

CREATE TABLE data_releases (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    -- One release per request: a second approval at the same moment is refused here (409).
    request_id   uuid NOT NULL,
    org_unit_id  uuid NOT NULL,
    purpose      text NOT NULL,
    -- The rule's fields with their modes at approval: [[field, mode], …].
    fields       jsonb NOT NULL,
    approved_by  uuid NOT NULL,
    approved_at  timestamptz NOT NULL DEFAULT now(),
    released_on  date NOT NULL,
    -- Readable through the end of this day in the district; unreadable after it (410).
    expires_on   date NOT NULL,
    -- `building` while approval writes its records (not readable), then `ready`.
    state        text NOT NULL CHECK (state IN ('building', 'ready')),
    families     integer NOT NULL DEFAULT 0,
    revoked_at   timestamptz,
    revoked_by   uuid,
    expiry_notice_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, request_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES data_requests (tenant_id, id),
    CHECK (expires_on >= released_on)
);
CREATE INDEX data_releases_by_unit ON data_releases (tenant_id, org_unit_id, approved_at);

-- The released records, encrypted as a whole (they may hold identifiers in full); the dimensions of the
-- release's aggregates beside them in the clear (codes of streets, communities, kinds and age bands).
CREATE TABLE data_release_records (
    tenant_id   uuid NOT NULL,
    release_id  uuid NOT NULL,
    seq         integer NOT NULL CHECK (seq >= 1),
    family_id   uuid NOT NULL,
    record_enc  bytea NOT NULL,
    street      text NOT NULL,
    community   text NOT NULL,
    kind        text NOT NULL,
    age_band    text NOT NULL,
    programs    jsonb NOT NULL,
    PRIMARY KEY (tenant_id, release_id, seq),
    FOREIGN KEY (tenant_id, release_id) REFERENCES data_releases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX data_release_records_by_family ON data_release_records (tenant_id, family_id);

-- A family's access log reads the sharing events of the audit log by object.
CREATE INDEX audit_events_sharing_by_object ON audit_events (tenant_id, object_type, object_id)
    WHERE action IN ('data_release.read', 'data_release.export', 'verification.ask');

ALTER TABLE sharing_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE sharing_consents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sharing_consents USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
ALTER TABLE data_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_requests USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
ALTER TABLE data_releases ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_releases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_releases USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
ALTER TABLE data_release_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_release_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_release_records USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());

GRANT SELECT, INSERT, UPDATE ON sharing_consents TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE ON data_requests TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE ON data_releases TO nuanxin_app;
-- DELETE only to undo an approval whose records could not all be written.
GRANT DELETE ON data_releases TO nuanxin_app;
-- UPDATE only to empty the sealed records of a release that ended (the rows stay for access logs).
GRANT SELECT, INSERT, UPDATE, DELETE ON data_release_records TO nuanxin_app;
