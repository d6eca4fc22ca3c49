CREATE OR REPLACE FUNCTION audit_append_all(p_tenant uuid[], p_occurred_at timestamptz[], p_actor text[], p_action text[],
                                 p_object_type text[], p_object_id text[], p_detail jsonb[], p_request_id text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    district uuid;
BEGIN
    -- Records of reads: a database crash may lose the last fraction of a second of them, never a change.
    PERFORM set_config('synchronous_commit', 'off', true);
    FOR district IN SELECT DISTINCT t FROM unnest(p_tenant) AS t LOOP
        PERFORM set_config('app.tenant_id', district::text, true);
        INSERT INTO audit_events (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id)
        SELECT e.tenant_id, e.occurred_at, e.actor, e.action, e.object_type, e.object_id, e.detail, e.request_id
        FROM unnest(p_tenant, p_occurred_at, p_actor, p_action, p_object_type, p_object_id, p_detail, p_request_id)
             WITH ORDINALITY AS e (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id, n)
        WHERE e.tenant_id = district
        ORDER BY e.n;
    END LOOP;
END $$;
