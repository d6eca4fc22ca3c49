-- Holiday visits and contact persons' daily contact (SPEC module 3). Same conventions as the rest:
-- tenant_id leads every key and index; row-level security enabled and forced.

-- One campaign per district, holiday program and year: the unique key makes a second impossible,
-- however often or concurrently it is asked for. Its families are the holiday cycle's beneficiaries
-- on the festival's date; `generated_at` stays NULL until they are all written.
CREATE TABLE visit_campaigns (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    program           text NOT NULL CHECK (program ~ '^holiday_visit_[a-z_]+$'),
    year              integer NOT NULL CHECK (year BETWEEN 1950 AND 2100),
    festival_on       date NOT NULL,
    window_starts_on  date NOT NULL CHECK (window_starts_on <= festival_on),
    cycle_id          uuid,
    families          integer NOT NULL DEFAULT 0,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    generated_at      timestamptz,
    -- The day unvisited families were flagged to their streets (the reminder job), once.
    reminded_on       date,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT visit_campaigns_once UNIQUE (tenant_id, program, year),
    FOREIGN KEY (tenant_id, cycle_id) REFERENCES benefit_cycles (tenant_id, id)
);

-- The families a campaign covers, with the street and community they had when it was generated
-- (progress is counted by these).
CREATE TABLE visit_campaign_families (
    tenant_id     uuid NOT NULL,
    campaign_id   uuid NOT NULL,
    family_id     uuid NOT NULL,
    street_id     uuid NOT NULL,
    community_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, family_id),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES visit_campaigns (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
CREATE INDEX visit_campaign_families_by_street
    ON visit_campaign_families (tenant_id, campaign_id, street_id, community_id);

-- A visit record: who visited, when, how, the money handed over, what the family needs.
CREATE TABLE visits (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    campaign_id   uuid NOT NULL,
    family_id     uuid NOT NULL,
    visited_on    date NOT NULL,
    how           text NOT NULL CHECK (how IN ('at_home', 'by_phone', 'family_away')),
    money_cny     bigint NOT NULL DEFAULT 0 CHECK (money_cny >= 0),
    needs         text,
    visitor_id    uuid NOT NULL,
    visitor_name  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, campaign_id, family_id)
        REFERENCES visit_campaign_families (tenant_id, campaign_id, family_id),
    CHECK (money_cny = 0 OR how = 'at_home')
);
-- The money is given once: a second visit with money for the family in the campaign is refused,
-- also when two are recorded at the same moment.
CREATE UNIQUE INDEX visits_money_once ON visits (tenant_id, campaign_id, family_id) WHERE money_cny > 0;
CREATE INDEX visits_by_family ON visits (tenant_id, campaign_id, family_id, visited_on);

-- A contact person's daily contact with a family (日常联系), with the problems raised.
CREATE TABLE contact_log (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    family_id        uuid NOT NULL,
    contacted_on     date NOT NULL,
    how              text NOT NULL CHECK (how IN ('visit', 'call')),
    summary          text NOT NULL,
    -- [{category, detail}], category one of living, medical, elderly_care, end_of_life, psychological, other.
    problems         jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- The registered contact person it was for, when someone else recorded it.
    contact_person   text,
    recorded_by_id   uuid NOT NULL,
    recorded_by      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);
CREATE INDEX contact_log_by_family ON contact_log (tenant_id, family_id, contacted_on DESC);

-- User accounts that are a family's contact persons: each gives the account the family through
-- family_assignments (source 'contact', source_id the account), so it reaches exactly its families.
CREATE TABLE contact_accounts (
    tenant_id   uuid NOT NULL,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, family_id, user_id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX contact_accounts_by_user ON contact_accounts (tenant_id, user_id, family_id);

-- Follow-ups for streets now also come from visits (needs), contacts (problems) and the flags (besides
-- the volunteers' concerns of the tasks module, migration 000030).
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_change_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_change_check CHECK (change IN (
    'gained', 'lost', 'amount_changed', 'volunteer_concern',
    'visit_need', 'contact_problem', 'not_visited', 'no_contact', 'few_contacts'));

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['visit_campaigns', 'visit_campaign_families', 'visits', 'contact_log', 'contact_accounts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

-- Visits and contacts are records: corrected by a new record, never deleted.
GRANT SELECT, INSERT, UPDATE ON visit_campaigns, visit_campaign_families TO nuanxin_app;
GRANT SELECT, INSERT ON visits, contact_log TO nuanxin_app;
GRANT SELECT, INSERT, DELETE ON contact_accounts TO nuanxin_app;
