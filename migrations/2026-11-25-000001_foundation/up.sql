-- Foundation: tenants, org units, accounts, access rules, the family registry, audit log and mail outbox.
--
-- Every tenant-owned table leads its primary key and indexes with tenant_id, so the schema can be
-- distributed by tenant (Citus) unchanged. Row-level security is enabled AND forced on each of them and
-- keyed on the transaction-local setting app.tenant_id; the service connects as nuanxin_app, which is
-- neither superuser nor BYPASSRLS, so a query that forgets its tenant filter still sees one district only.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nuanxin_app') THEN
        CREATE ROLE nuanxin_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

-- The tenant of the current transaction, or NULL when none is set (then every policy below matches nothing).
CREATE FUNCTION nuanxin_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION nuanxin_forbid_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;

-- Platform level: districts and the people who run the platform. Not tenant-owned.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,31}$'),
    name        text NOT NULL,
    time_zone   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_operators (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- casbin policy lines. Role permissions ("p") are written once for every district (domain '*');
-- role assignments ("g") name their district. See shared/access.
CREATE TABLE access_rules (
    ptype text NOT NULL,
    v0    text NOT NULL,
    v1    text NOT NULL,
    v2    text NOT NULL DEFAULT '',
    v3    text NOT NULL DEFAULT '',
    v4    text NOT NULL DEFAULT '',
    v5    text NOT NULL DEFAULT '',
    PRIMARY KEY (ptype, v0, v1, v2, v3, v4, v5)
);

-- Tenant-owned tables.
CREATE TABLE org_units (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('district_office', 'bureau', 'street', 'community', 'social_org')),
    code       text NOT NULL,
    name       text NOT NULL,
    parent_id  uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES org_units (tenant_id, id)
);

CREATE TABLE users (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    username      text NOT NULL,
    display_name  text NOT NULL,
    email         text,
    password_hash text NOT NULL,
    org_unit_id   uuid NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, username),
    FOREIGN KEY (tenant_id, org_unit_id) REFERENCES org_units (tenant_id, id)
);

CREATE TABLE families (
    tenant_id                       uuid NOT NULL REFERENCES tenants (id),
    id                              uuid NOT NULL,
    kind                            text NOT NULL CHECK (kind IN ('bereaved', 'disabled')),
    hukou_district                  text NOT NULL,
    street_id                       uuid NOT NULL,
    community_id                    uuid NOT NULL,
    address                         text NOT NULL,
    latitude                        double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude                       double precision CHECK (longitude BETWEEN -180 AND 180),
    child_died_on                   date,
    child_disability_grade          smallint CHECK (child_disability_grade BETWEEN 1 AND 3),
    child_certified_on              date,
    monthly_income_per_capita_cny   bigint NOT NULL CHECK (monthly_income_per_capita_cny >= 0),
    prior_year_total_income_cny     bigint NOT NULL CHECK (prior_year_total_income_cny >= 0),
    assisted_reproduction_birth_on  date,
    status                          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'exited')),
    exit_reason                     text CHECK (exit_reason IN ('rebirth', 'adoption', 'deceased', 'moved_away', 'other')),
    exit_note                       text,
    exited_on                       date,
    version                         integer NOT NULL DEFAULT 1,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES org_units (tenant_id, id),
    CHECK ((kind = 'bereaved') = (child_died_on IS NOT NULL)),
    CHECK ((kind = 'disabled') = (child_disability_grade IS NOT NULL AND child_certified_on IS NOT NULL)),
    CHECK ((status = 'exited') = (exit_reason IS NOT NULL AND exited_on IS NOT NULL))
);
-- The list filters: street / community / kind, newest first, active or exited.
CREATE INDEX families_by_street    ON families (tenant_id, street_id, status, created_at DESC, id);
CREATE INDEX families_by_community ON families (tenant_id, community_id, status, created_at DESC, id);
CREATE INDEX families_by_kind      ON families (tenant_id, kind, status, created_at DESC, id);
CREATE INDEX families_by_created   ON families (tenant_id, status, created_at DESC, id);

CREATE TABLE family_members (
    tenant_id                       uuid NOT NULL,
    family_id                       uuid NOT NULL,
    role                            text NOT NULL CHECK (role IN ('mother', 'father')),
    name                            text NOT NULL,
    resident_id_enc                 bytea NOT NULL,
    resident_id_hash                bytea NOT NULL,
    phone_enc                       bytea,
    birth_date                      date NOT NULL,
    alive                           boolean NOT NULL,
    self_care                       text NOT NULL CHECK (self_care IN ('full', 'partial', 'none')),
    sanwu                           boolean NOT NULL DEFAULT false,
    care                            text NOT NULL CHECK (care IN ('home', 'nursing_home')),
    nursing_home_in_district        boolean NOT NULL DEFAULT false,
    major_illness_hospitalized_on   date,
    out_of_pocket_medical_cny       bigint NOT NULL DEFAULT 0 CHECK (out_of_pocket_medical_cny >= 0),
    fertility_treatment_since       date,
    wants_home_services             boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, family_id, role),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id) ON DELETE CASCADE
);
-- One registration per person per district; looked up through the keyed hash, never the plain number.
CREATE UNIQUE INDEX family_members_by_resident_id ON family_members (tenant_id, resident_id_hash);
-- The age-band filter.
CREATE INDEX family_members_by_birth_date ON family_members (tenant_id, birth_date, family_id) WHERE alive;

CREATE TABLE contact_persons (
    tenant_id  uuid NOT NULL,
    family_id  uuid NOT NULL,
    position   smallint NOT NULL CHECK (position BETWEEN 1 AND 5),
    name       text NOT NULL,
    category   text NOT NULL CHECK (category IN ('street_cadre', 'village_cadre', 'family_doctor', 'grid_worker', 'association_member', 'volunteer')),
    phone_enc  bytea,
    PRIMARY KEY (tenant_id, family_id, position),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id) ON DELETE CASCADE
);

-- Version history of a family record: who changed what, when. PII appears masked only.
CREATE TABLE family_changes (
    tenant_id   uuid NOT NULL,
    family_id   uuid NOT NULL,
    version     integer NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid NOT NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'update', 'exit', 'import')),
    changes     jsonb NOT NULL,
    PRIMARY KEY (tenant_id, family_id, version),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);

-- Audit: events are appended inside the transaction that did the work (cheap, never lost); a sealer job
-- links them, in the order it finds them, into a per-tenant hash chain. Both tables are append-only.
CREATE TABLE audit_events (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    object_type  text NOT NULL,
    object_id    text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id   text,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE audit_chain (
    tenant_id  uuid NOT NULL,
    seq        bigint NOT NULL CHECK (seq >= 1),
    event_id   bigint NOT NULL,
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL,
    sealed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, seq),
    UNIQUE (tenant_id, event_id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES audit_events (tenant_id, id)
);

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION nuanxin_forbid_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION nuanxin_forbid_change();
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION nuanxin_forbid_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION nuanxin_forbid_change();

-- Transactional outbox for e-mail: written in the same transaction as the change that causes it.
CREATE TABLE mail_outbox (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    next_try_at timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX mail_outbox_pending ON mail_outbox (tenant_id, next_try_at) WHERE sent_at IS NULL;

-- Row-level security on every tenant-owned table.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['org_units', 'users', 'families', 'family_members', 'contact_persons',
                             'family_changes', 'audit_events', 'audit_chain', 'mail_outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

-- What the service's own role may do. No UPDATE or DELETE on the audit tables, ever.
GRANT SELECT, INSERT ON tenants, platform_operators TO nuanxin_app;
GRANT SELECT, INSERT, DELETE ON access_rules TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE ON org_units, users, families, mail_outbox TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON family_members, contact_persons TO nuanxin_app;
GRANT SELECT, INSERT ON family_changes, audit_events, audit_chain TO nuanxin_app;
