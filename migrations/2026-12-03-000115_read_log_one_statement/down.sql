DROP POLICY owner_appends_read_log ON audit_events;
DROP POLICY owner_queues_unsealed ON audit_unsealed;

CREATE OR REPLACE FUNCTION audit_append_all(p_tenant uuid[], p_occurred_at timestamptz[], p_actor text[],
                                            p_action text[], p_object_type text[], p_object_id text[],
                                            p_detail jsonb[], p_request_id text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    n int := coalesce(array_length(p_tenant, 1), 0);
    i int := 1;
    j int;
BEGIN
    -- Records of reads: a database crash may lose the last fraction of a second of them, never a change.
    PERFORM set_config('synchronous_commit', 'off', true);
    WHILE i <= n LOOP
        j := i;
        WHILE j < n AND p_tenant[j + 1] = p_tenant[i] LOOP
            j := j + 1;
        END LOOP;
        PERFORM set_config('app.tenant_id', p_tenant[i]::text, true);
        INSERT INTO audit_events (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id)
        SELECT p_tenant[i], e.occurred_at, e.actor, e.action, e.object_type, e.object_id, e.detail, e.request_id
        FROM unnest(p_occurred_at[i:j], p_actor[i:j], p_action[i:j], p_object_type[i:j], p_object_id[i:j],
                    p_detail[i:j], p_request_id[i:j])
             WITH ORDINALITY AS e (occurred_at, actor, action, object_type, object_id, detail, request_id, n)
        ORDER BY e.n;
        i := j + 1;
    END LOOP;
END $$;
