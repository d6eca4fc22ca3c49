-- The read log's batch went in as one INSERT per district run (migration `read_log_runs`), because
-- row-level security admits one district per statement. Under random reads over 100 districts a batch
-- of some 25 reads spans as many districts: 25 statements, each with its own tenant setting and its own
-- run of the queue trigger. That made appending the log cost PostgreSQL as much as the reads themselves
-- (README "Benchmarks", session 17). Now the whole batch is one statement: the function runs as the
-- schema's owner, which may insert any district's events (the policy below; a superuser owner passes
-- row-level security anyway), and the queue trigger runs once a batch.
--
-- What the service's role may do is unchanged: it could already append events for any district through
-- this function, which set the tenant from its own arguments. It still cannot insert into audit_events
-- or audit_unsealed outside its district, nor change or delete a row of either.
CREATE POLICY owner_appends_read_log ON audit_events FOR INSERT TO CURRENT_USER WITH CHECK (true);
CREATE POLICY owner_queues_unsealed ON audit_unsealed FOR INSERT TO CURRENT_USER WITH CHECK (true);

CREATE OR REPLACE FUNCTION audit_append_all(p_tenant uuid[], p_occurred_at timestamptz[], p_actor text[],
                                            p_action text[], p_object_type text[], p_object_id text[],
                                            p_detail jsonb[], p_request_id text[])
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Records of reads: a database crash may lose the last fraction of a second of them, never a change.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- Rows go in array order, so each district's ids follow the order of its reads.
    INSERT INTO audit_events (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id)
    SELECT e.tenant_id, e.occurred_at, e.actor, e.action, e.object_type, e.object_id, e.detail, e.request_id
    FROM unnest(p_tenant, p_occurred_at, p_actor, p_action, p_object_type, p_object_id, p_detail, p_request_id)
         WITH ORDINALITY AS e (tenant_id, occurred_at, actor, action, object_type, object_id, detail, request_id, n)
    ORDER BY e.n;
END $$;
REVOKE ALL ON FUNCTION audit_append_all(uuid[], timestamptz[], text[], text[], text[], text[], jsonb[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append_all(uuid[], timestamptz[], text[], text[], text[], text[], jsonb[], text[]) TO nuanxin_app;
