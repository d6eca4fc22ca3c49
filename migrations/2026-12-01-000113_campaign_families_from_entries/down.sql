ALTER TABLE visit_campaign_families ADD FOREIGN KEY (tenant_id, family_id) REFERENCES families (tenant_id, id);
