-- The read path of one family: a single row, a single statement (README "Benchmarks" has the numbers).

-- The family's parents and contact persons as one JSON document beside the row, written in the same
-- statement as the family_members and contact_persons rows they copy (FamilyRecord::insert/replace).
-- Those tables stay the source for filters, the resident-ID uniqueness check and the age band; reading a
-- family (one or a page of them) takes this column instead of two more index scans.
ALTER TABLE families ADD COLUMN people json;
-- With its people document a family row is 2-3 kB. PostgreSQL would compress rows over 2 kB and every
-- read would decompress; rows stay whole and uncompressed in their page up to the page's size instead.
ALTER TABLE families SET (toast_tuple_target = 8160);
UPDATE families f SET people = json_build_object(
    'members', COALESCE((SELECT json_agg(m ORDER BY m.role DESC) FROM family_members m
                         WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id), '[]'::json),
    'contacts', COALESCE((SELECT json_agg(c ORDER BY c.position) FROM contact_persons c
                          WHERE c.tenant_id = f.tenant_id AND c.family_id = f.id), '[]'::json));
ALTER TABLE families ALTER COLUMN people SET NOT NULL;

-- One family in the caller's scope, in one statement outside any explicit transaction: the function sets
-- the row-level-security tenant for the statement's own transaction (set_config(.., true)) and then reads,
-- so the read costs one round trip and one statement instead of BEGIN, set_config, the read and COMMIT.
-- A NULL street or community means that scope is not narrowed. SECURITY INVOKER (the default): the
-- caller's row-level security applies to the read.
CREATE FUNCTION family_in_scope(p_tenant uuid, p_family uuid, p_street uuid, p_community uuid)
RETURNS SETOF families LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT * FROM families f
        WHERE f.tenant_id = p_tenant AND f.id = p_family
          AND (p_street IS NULL OR f.street_id = p_street)
          AND (p_community IS NULL OR f.community_id = p_community);
END $$;
REVOKE ALL ON FUNCTION family_in_scope(uuid, uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION family_in_scope(uuid, uuid, uuid, uuid) TO nuanxin_app;

-- Reads are recorded by a background writer in batches (services/nuanxin/src/audit/reads.rs); a foreign
-- key would lock the district's row once per event. Districts are never deleted, and every event's
-- tenant_id comes from a loaded district.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_tenant_id_fkey;

-- A batch of one district's audit events in one statement, for the read log's writer: the tenant is set
-- for the statement's own transaction, which commits without waiting for the WAL flush (these are records
-- of reads; a database crash may lose the last fraction of a second of them, never a change). Rows go in
-- array order, so ids follow the order of the reads.
CREATE FUNCTION audit_append(p_tenant uuid, p_occurred_at timestamptz[], p_actor text[], p_action text[],
                             p_object_type text[], p_object_id text[], p_detail jsonb[], p_request_id text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO audit_events (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id)
    SELECT p_tenant, e.occurred_at, e.actor, e.action, e.object_type, e.object_id, e.detail, e.request_id
    FROM unnest(p_occurred_at, p_actor, p_action, p_object_type, p_object_id, p_detail, p_request_id)
         WITH ORDINALITY AS e (occurred_at, actor, action, object_type, object_id, detail, request_id, n)
    ORDER BY e.n;
END $$;
REVOKE ALL ON FUNCTION audit_append(uuid, timestamptz[], text[], text[], text[], text[], jsonb[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(uuid, timestamptz[], text[], text[], text[], text[], jsonb[], text[]) TO nuanxin_app;
