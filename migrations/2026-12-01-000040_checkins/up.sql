-- Neighbour mutual-aid pairing and daily check-ins (issue 11, shared/checkins). Every table is
-- tenant-owned, led by tenant_id, with row-level security forced like the foundation's tables.

-- Members a street or community worker enrols with a reason (living alone, partial self-care): eligible
-- besides those whose policy entitlement the district's checkins.yaml names.
CREATE TABLE checkin_enrolments (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    family_id    uuid NOT NULL,
    person       text NOT NULL CHECK (person IN ('mother', 'father')),
    reason       text NOT NULL CHECK (reason IN ('living_alone', 'partial_self_care', 'other')),
    note         text CHECK (char_length(note) <= 500),
    enrolled_by  uuid NOT NULL,
    enrolled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
CREATE UNIQUE INDEX checkin_enrolments_once ON checkin_enrolments (tenant_id, family_id, person);

-- Neighbour helpers: people living nearby, with or without a volunteer account. The phone is encrypted
-- like the registry's (AES-GCM, the helper's id as associated data).
CREATE TABLE checkin_helpers (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
    phone_enc     bytea NOT NULL,
    community_id  uuid NOT NULL,
    latitude      double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    user_id       uuid,
    max_elders    smallint NOT NULL CHECK (max_elders BETWEEN 1 AND 10),
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
-- One helper record per account: the account is how a volunteer reaches their elders.
CREATE UNIQUE INDEX checkin_helpers_by_user ON checkin_helpers (tenant_id, user_id) WHERE user_id IS NOT NULL;

-- A pairing exists only with both consents (when, how, who took it). Withdrawal ends it; the row stays.
CREATE TABLE checkin_pairings (
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    id                  uuid NOT NULL,
    family_id           uuid NOT NULL,
    person              text NOT NULL CHECK (person IN ('mother', 'father')),
    helper_id           uuid NOT NULL,
    elder_consent_on    date NOT NULL,
    elder_consent_how   text NOT NULL CHECK (elder_consent_how IN ('in_person', 'phone', 'writing')),
    elder_consent_by    uuid NOT NULL,
    helper_consent_on   date NOT NULL,
    helper_consent_how  text NOT NULL CHECK (helper_consent_how IN ('in_person', 'phone', 'writing')),
    helper_consent_by   uuid NOT NULL,
    -- The daily deadline as minutes after local midnight.
    deadline_minute     smallint NOT NULL CHECK (deadline_minute BETWEEN 0 AND 1439),
    -- Weekdays off, one bit per weekday (bit 0 = Monday).
    days_off            smallint NOT NULL DEFAULT 0 CHECK (days_off BETWEEN 0 AND 126),
    starts_on           date NOT NULL,
    created_by          uuid NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    ended_at            timestamptz,
    ended_side          text CHECK (ended_side IN ('elder', 'helper')),
    ended_reason        text CHECK (char_length(ended_reason) BETWEEN 1 AND 500),
    ended_by            uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, helper_id) REFERENCES checkin_helpers (tenant_id, id),
    CHECK ((ended_at IS NULL) = (ended_side IS NULL AND ended_reason IS NULL AND ended_by IS NULL))
);
-- One pairing in force per elder: two coordinators pairing the same elder at once get one 201, one 409.
CREATE UNIQUE INDEX checkin_pairings_one_per_elder ON checkin_pairings (tenant_id, family_id, person)
    WHERE ended_at IS NULL;
CREATE INDEX checkin_pairings_by_helper ON checkin_pairings (tenant_id, helper_id) WHERE ended_at IS NULL;

-- Pauses (in hospital, staying with relatives): each its own record, never undone by another change.
CREATE TABLE checkin_pauses (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    pairing_id  uuid NOT NULL,
    starts_on   date NOT NULL,
    ends_on     date,
    reason      text NOT NULL CHECK (reason IN ('hospital', 'relatives', 'other')),
    created_by  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pairing_id) REFERENCES checkin_pairings (tenant_id, id),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX checkin_pauses_by_pairing ON checkin_pauses (tenant_id, pairing_id);

CREATE TABLE checkin_check_ins (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    pairing_id  uuid NOT NULL,
    logged_at   timestamptz NOT NULL DEFAULT now(),
    -- The district-local date the check-in counts for.
    day         date NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('well', 'needs_help', 'not_reached')),
    how         text NOT NULL CHECK (how IN ('visit', 'phone')),
    logged_by   uuid NOT NULL,
    -- Logged by the community worker for a helper without an account.
    on_behalf   boolean NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pairing_id) REFERENCES checkin_pairings (tenant_id, id)
);
CREATE INDEX checkin_check_ins_by_day ON checkin_check_ins (tenant_id, day, pairing_id);
CREATE INDEX checkin_check_ins_by_pairing ON checkin_check_ins (tenant_id, pairing_id, logged_at DESC);

-- The ladder a day escalates by, stored with the day's first alert: a later change of the district's
-- ladder never renumbers a running day (shared/checkins README "The snapshot rule").
CREATE TABLE checkin_days (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    pairing_id  uuid NOT NULL,
    day         date NOT NULL,
    steps       jsonb NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pairing_id, day),
    FOREIGN KEY (tenant_id, pairing_id) REFERENCES checkin_pairings (tenant_id, id)
);

-- Raised steps. The unique key is the crate's AlertKey: every node inserts what Day::decide returns with
-- ON CONFLICT DO NOTHING, so each step is raised once per pairing and day however many nodes sweep.
CREATE TABLE checkin_alerts (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    pairing_id       uuid NOT NULL,
    day              date NOT NULL,
    step             smallint NOT NULL CHECK (step >= 0),
    recipient        text NOT NULL CHECK (recipient IN ('helper', 'community_worker', 'street_office', 'district_office')),
    cause            text NOT NULL CHECK (cause IN ('missed', 'needs_help', 'not_reached')),
    due_at           timestamptz NOT NULL,
    raised_at        timestamptz NOT NULL DEFAULT now(),
    late             boolean NOT NULL,
    acknowledged_at  timestamptz,
    acknowledged_by  uuid,
    finding          text CHECK (char_length(finding) BETWEEN 1 AND 500),
    -- When the all-clear went out (the elder answered well after the step fell due).
    cleared_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pairing_id, day) REFERENCES checkin_days (tenant_id, pairing_id, day),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL AND finding IS NULL))
);
CREATE UNIQUE INDEX checkin_alerts_key ON checkin_alerts (tenant_id, pairing_id, day, step, recipient);
CREATE INDEX checkin_alerts_open ON checkin_alerts (tenant_id, raised_at)
    WHERE acknowledged_at IS NULL AND cleared_at IS NULL;

-- The 7-day silence flag, once per silent stretch (its first expected day).
CREATE TABLE checkin_silences (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    pairing_id  uuid NOT NULL,
    since       date NOT NULL,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pairing_id, since),
    FOREIGN KEY (tenant_id, pairing_id) REFERENCES checkin_pairings (tenant_id, id)
);

-- Emergencies a helper or worker records: what happened, ambulance, hospital, outcome.
CREATE TABLE checkin_emergencies (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    pairing_id   uuid NOT NULL,
    what         text NOT NULL CHECK (char_length(what) BETWEEN 1 AND 1000),
    ambulance    boolean NOT NULL,
    hospital     text CHECK (char_length(hospital) <= 100),
    outcome      text CHECK (char_length(outcome) <= 1000),
    recorded_by  uuid NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pairing_id) REFERENCES checkin_pairings (tenant_id, id)
);

-- The district office is told once per stall of the sweep: the stall is named by the sweep's last success
-- before it (the epoch when it never succeeded), so every node's watchdog inserts the same key.
CREATE TABLE checkin_sweep_stalls (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    last_success_at  timestamptz NOT NULL,
    told_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, last_success_at)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['checkin_enrolments', 'checkin_helpers', 'checkin_pairings', 'checkin_pauses',
                             'checkin_check_ins', 'checkin_days', 'checkin_alerts', 'checkin_silences',
                             'checkin_emergencies', 'checkin_sweep_stalls']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

-- No DELETE: history of pairings, consents, check-ins and alerts stays.
GRANT SELECT, INSERT ON checkin_enrolments, checkin_pauses, checkin_check_ins, checkin_days,
    checkin_silences, checkin_emergencies, checkin_sweep_stalls TO nuanxin_app;
GRANT SELECT, INSERT, UPDATE ON checkin_helpers, checkin_pairings, checkin_alerts TO nuanxin_app;
