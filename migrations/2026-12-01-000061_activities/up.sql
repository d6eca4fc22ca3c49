-- Activities of 暖心家园 / 怡心家园 (张卫字〔2020〕134号 三（七）) and 新希望家园 (西政办发〔2013〕17号 三（二）2),
-- spent against the district's yearly budget, and the towns' and streets' signature projects
-- (一镇（街）一品, 四（一）): one per street and year.
CREATE TABLE signature_projects (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    street_id    uuid NOT NULL,
    year         integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    name         text NOT NULL,
    description  text NOT NULL DEFAULT '',
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT signature_projects_once UNIQUE (tenant_id, street_id, year),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id)
);

CREATE TABLE activities (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    home          text NOT NULL CHECK (home IN ('warm_heart', 'yixin', 'new_hope')),
    street_id     uuid NOT NULL,
    project_id    uuid,
    held_on       date NOT NULL,
    place         text NOT NULL,
    kind          text NOT NULL,
    spending_cny  bigint NOT NULL CHECK (spending_cny >= 0),
    participants  integer NOT NULL DEFAULT 0,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, street_id) REFERENCES org_units (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES signature_projects (tenant_id, id)
);
CREATE INDEX activities_by_year ON activities (tenant_id, held_on, street_id);

-- Participants come from the register.
CREATE TABLE activity_participants (
    tenant_id    uuid NOT NULL,
    activity_id  uuid NOT NULL,
    family_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, activity_id, family_id),
    FOREIGN KEY (tenant_id, activity_id) REFERENCES activities (tenant_id, id),
    FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['signature_projects', 'activities', 'activity_participants']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = nuanxin_current_tenant()) '
                       'WITH CHECK (tenant_id = nuanxin_current_tenant())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT ON signature_projects, activities, activity_participants TO nuanxin_app;
