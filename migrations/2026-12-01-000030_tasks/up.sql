-- Service tasks and volunteer matching (issue 10): volunteers of social organizations (org units of kind
-- social_org) and independent ones; tasks for households; the matching runs; one offer per helper slot of a
-- task, which carries the whole life of that slot (offer → answer → assignment → check-in → check-out, or
-- a decline, an expiry or a no-show that frees the slot); and notices waiting to be mailed, one message per
-- person per burst.

CREATE TABLE volunteers (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    -- The social organization; NULL for an independent volunteer (the street answers for them).
    organization_id uuid,
    -- The volunteer's own account, when they log in.
    user_id         uuid,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    email           text,
    phone_enc       bytea,
    -- [code, …] of the district's skill list
    skills          jsonb NOT NULL CHECK (jsonb_typeof(skills) = 'array'),
    -- [{code, expires_on}]
    qualifications  jsonb NOT NULL DEFAULT '[]'::jsonb,
    latitude        float8,
    longitude       float8,
    -- [{day: mon…sun, from: HH:MM, to: HH:MM}], local time
    availability    jsonb NOT NULL DEFAULT '[]'::jsonb,
    weekly_max      int2 NOT NULL CHECK (weekly_max BETWEEN 1 AND 14),
    -- The organization's own ranking, 0 = first choice.
    preference      int2 NOT NULL DEFAULT 0 CHECK (preference BETWEEN 0 AND 3),
    -- [{course, completed_on}]
    training        jsonb NOT NULL DEFAULT '[]'::jsonb,
    no_shows        int4 NOT NULL DEFAULT 0 CHECK (no_shows >= 0),
    active          boolean NOT NULL DEFAULT true,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, organization_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
    CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE UNIQUE INDEX volunteers_by_user ON volunteers (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX volunteers_by_organization ON volunteers (tenant_id, organization_id, name);

CREATE TABLE service_tasks (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    family_id         uuid NOT NULL,
    -- The household's street and community when the task was made: the street's and community's scope.
    street_id         uuid NOT NULL,
    community_id      uuid NOT NULL,
    -- The occurrences of one weekly rule share it; a one-off task has its own id here.
    series_id         uuid NOT NULL,
    service           text NOT NULL CHECK (service ~ '^[a-z_]{1,32}$'),
    -- Needed besides the service's own qualification.
    qualifications    jsonb NOT NULL DEFAULT '[]'::jsonb,
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    place             text NOT NULL,
    by_phone          boolean NOT NULL DEFAULT false,
    helpers_needed    int2 NOT NULL CHECK (helpers_needed BETWEEN 1 AND 5),
    urgency           text NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    -- 综合包户: the household keeps its helper.
    long_term         boolean NOT NULL DEFAULT false,
    -- The name the helper addresses the elder by, and a phone to reach the household: what the task needs.
    contact_name      text NOT NULL,
    contact_phone_enc bytea,
    notes             text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'lapsed', 'cancelled')),
    closed_at         timestamptz,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, community_id) REFERENCES org_units (tenant_id, id),
    CHECK (ends_at > starts_at),
    CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX service_tasks_open ON service_tasks (tenant_id, starts_at) WHERE status = 'open';
CREATE INDEX service_tasks_by_street ON service_tasks (tenant_id, street_id, starts_at DESC);
CREATE INDEX service_tasks_by_family ON service_tasks (tenant_id, family_id, service);

CREATE TABLE matching_runs (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    -- `user:<id>` for a run started by street staff, `system:match_tasks` for the scheduled run.
    started_by  text NOT NULL,
    -- The street whose tasks were matched; NULL for the whole district.
    street_id   uuid,
    started_at  timestamptz NOT NULL DEFAULT now(),
    tasks       int4 NOT NULL,
    candidates  int4 NOT NULL,
    offers      int4 NOT NULL,
    cost        int8 NOT NULL,
    -- [{task_id, missing, why}]: what stayed unfilled and why, as the run found it.
    unfilled    jsonb NOT NULL DEFAULT '[]'::jsonb,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE task_offers (
    tenant_id             uuid NOT NULL,
    id                    uuid NOT NULL,
    task_id               uuid NOT NULL,
    run_id                uuid NOT NULL,
    -- Which of the task's helper slots (1 … helpers_needed) this offer fills.
    slot                  int2 NOT NULL CHECK (slot BETWEEN 1 AND 5),
    -- The volunteer the engine matched.
    volunteer_id          uuid NOT NULL,
    -- Who answers: the volunteer's organization, or NULL when the volunteer is independent.
    organization_id       uuid,
    -- The volunteer who goes (the matched one, or another the organization names).
    assigned_volunteer_id uuid,
    status                text NOT NULL CHECK (status IN ('offered', 'accepted', 'declined', 'expired',
                                                          'assigned', 'checked_in', 'done', 'no_show')),
    cost                  int8 NOT NULL CHECK (cost >= 0),
    reasons               text NOT NULL,
    deadline              timestamptz NOT NULL,
    decline_reason        text,
    answered_by           text,
    answered_at           timestamptz,
    checked_in_at         timestamptz,
    checked_out_at        timestamptz,
    minutes               int4 CHECK (minutes BETWEEN 1 AND 720),
    report                text,
    concern               text,
    ended_at              timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES service_tasks (tenant_id, id),
    FOREIGN KEY (tenant_id, run_id) REFERENCES matching_runs (tenant_id, id),
    FOREIGN KEY (tenant_id, volunteer_id) REFERENCES volunteers (tenant_id, id),
    FOREIGN KEY (tenant_id, assigned_volunteer_id) REFERENCES volunteers (tenant_id, id),
    FOREIGN KEY (tenant_id, organization_id) REFERENCES org_units (tenant_id, id),
    CHECK ((status = 'done') = (minutes IS NOT NULL AND checked_out_at IS NOT NULL)),
    CHECK (status NOT IN ('assigned', 'checked_in', 'done') OR assigned_volunteer_id IS NOT NULL)
);
-- One live offer per helper slot: two matching runs at once cannot offer one slot twice (the second's
-- insert finds the first's row and does nothing).
CREATE UNIQUE INDEX task_offers_live_slot ON task_offers (tenant_id, task_id, slot)
    WHERE status IN ('offered', 'accepted', 'assigned', 'checked_in', 'done');
-- A volunteer is offered a task at most once: one who declined or missed it is not asked again.
CREATE UNIQUE INDEX task_offers_once_per_volunteer ON task_offers (tenant_id, task_id, volunteer_id);
CREATE INDEX task_offers_by_task ON task_offers (tenant_id, task_id);
CREATE INDEX task_offers_by_organization ON task_offers (tenant_id, organization_id, created_at DESC);
CREATE INDEX task_offers_by_assignee ON task_offers (tenant_id, assigned_volunteer_id)
    WHERE assigned_volunteer_id IS NOT NULL;
CREATE INDEX task_offers_by_volunteer ON task_offers (tenant_id, volunteer_id, created_at DESC);
CREATE INDEX task_offers_awaiting ON task_offers (tenant_id, deadline) WHERE status = 'offered';

-- Mail waiting to be grouped: written in the transaction of the change, turned into one outbox message per
-- recipient by the task_mail job (in the transaction that marks them sent, so a retry sends nothing twice).
CREATE TABLE task_notices (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('offer', 'answer', 'assignment', 'reminder', 'no_show')),
    offer_id   uuid NOT NULL,
    recipient  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, kind, offer_id, recipient),
    FOREIGN KEY (tenant_id, offer_id) REFERENCES task_offers (tenant_id, id)
);
CREATE INDEX task_notices_pending ON task_notices (tenant_id, recipient) WHERE sent_at IS NULL;

-- A volunteer's concern at check-out opens a follow-up for the household's community worker.
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_change_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_change_check
    CHECK (change IN ('gained', 'lost', 'amount_changed', 'volunteer_concern'));

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['volunteers', 'service_tasks', 'matching_runs', 'task_offers', 'task_notices']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

-- Nothing is deleted: a task is cancelled or closed, an offer ends, and the trail stays.
GRANT SELECT, INSERT, UPDATE ON volunteers, service_tasks, matching_runs, task_offers, task_notices TO nuanxin_app;
