-- A verification query's lookup in one statement (issue 12 Speed): the active family with a parent of
-- this keyed resident-ID hash, read outside any explicit transaction like family_in_scope (migration
-- read_path): the function sets the row-level-security tenant for the statement's own transaction, so
-- the lookup costs one round trip instead of BEGIN, set_config, the read and COMMIT. SECURITY INVOKER
-- (the default): the caller's row-level security applies.
CREATE FUNCTION family_of_resident(p_tenant uuid, p_hash bytea)
RETURNS SETOF families LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    RETURN QUERY
        SELECT f.* FROM family_members m
        JOIN families f ON f.tenant_id = m.tenant_id AND f.id = m.family_id
        WHERE m.tenant_id = p_tenant AND m.resident_id_hash = p_hash AND f.status = 'active';
END $$;
REVOKE ALL ON FUNCTION family_of_resident(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION family_of_resident(uuid, bytea) TO nuanxin_app;
