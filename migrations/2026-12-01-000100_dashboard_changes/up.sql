-- The care dashboard (issue 13) is cached per district under the number of changes made to the tables
-- it counts. Every statement that writes one of them adds a row here in its own transaction, so the
-- sum a reader sees is exactly the number of committed changes its snapshot holds: two reads with the
-- same sum see the same data (snapshots only ever grow), and a write is part of the sum the moment it
-- commits. Rows instead of one counter per district: an insert takes no lock, so writers never wait
-- for each other here (a counter row would serialize them and could deadlock with their row locks).
-- The reader folds the rows of its district into one now and then (sum unchanged).
CREATE TABLE dashboard_changes (
    -- The nil UUID: a change made outside any district's transaction (maintenance as superuser);
    -- it counts for every district.
    tenant_id  uuid NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    changes    bigint NOT NULL DEFAULT 1 CHECK (changes > 0),
    PRIMARY KEY (tenant_id, id)
);

ALTER TABLE dashboard_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE dashboard_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dashboard_changes
    USING (tenant_id IN (nuanxin_current_tenant(), '00000000-0000-0000-0000-000000000000'))
    WITH CHECK (tenant_id IN (nuanxin_current_tenant(), '00000000-0000-0000-0000-000000000000'));
GRANT SELECT, INSERT, DELETE ON dashboard_changes TO nuanxin_app;

CREATE FUNCTION nuanxin_dashboard_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dashboard_changes (tenant_id)
    VALUES (COALESCE(nuanxin_current_tenant(), '00000000-0000-0000-0000-000000000000'));
    RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['families', 'contact_persons', 'contact_log', 'visit_campaigns',
                             'visit_campaign_families', 'visits', 'follow_ups', 'benefit_entries']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION nuanxin_dashboard_changed()',
                       t || '_dashboard_changed', t);
    END LOOP;
END
$$;
