ALTER TABLE audit_chain ADD FOREIGN KEY (tenant_id, event_id) REFERENCES audit_events (tenant_id, id);
DROP TRIGGER families_truncated ON families;
DROP TRIGGER families_changed ON families;
DROP FUNCTION nuanxin_family_changed();
