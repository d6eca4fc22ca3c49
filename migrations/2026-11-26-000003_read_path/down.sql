DROP FUNCTION audit_append(uuid, timestamptz[], text[], text[], text[], text[], jsonb[], text[]);
ALTER TABLE audit_events ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id);
DROP FUNCTION family_in_scope(uuid, uuid, uuid, uuid);
ALTER TABLE families DROP COLUMN people;
ALTER TABLE families RESET (toast_tuple_target);
