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

DROP FUNCTION audit_append_all(uuid[], timestamptz[], text[], text[], text[], text[], jsonb[], text[]);
