DROP TABLE mail_outbox, audit_chain, audit_events, family_changes, contact_persons, family_members,
    families, users, org_units, access_rules, platform_operators, tenants;
DROP FUNCTION nuanxin_forbid_change();
DROP FUNCTION nuanxin_current_tenant();
