-- Every service node keeps the families it read recently in memory (services/nuanxin/src/registry/near.rs).
-- A change to a family is announced when its transaction commits, from whatever node or tool made it, so
-- each node drops its copy at once. The payload is '<tenant_id>:<family_id>', or '*' for "forget all".
CREATE FUNCTION nuanxin_family_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        PERFORM pg_notify('nuanxin_family_changed', OLD.tenant_id::text || ':' || OLD.id::text);
    ELSE
        PERFORM pg_notify('nuanxin_family_changed', '*');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER families_changed AFTER UPDATE OR DELETE ON families
    FOR EACH ROW EXECUTE FUNCTION nuanxin_family_changed();
CREATE TRIGGER families_truncated AFTER TRUNCATE ON families
    FOR EACH STATEMENT EXECUTE FUNCTION nuanxin_family_changed();

-- A chain link's foreign key locked its event's row (FOR KEY SHARE), a write to every audit event at
-- sealing. The verifier already proves each link has its event (`nuanxin audit verify`), and neither
-- table allows an update or delete.
ALTER TABLE audit_chain DROP CONSTRAINT audit_chain_tenant_id_event_id_fkey;
