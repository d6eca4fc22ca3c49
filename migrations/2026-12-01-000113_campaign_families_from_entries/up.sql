-- A campaign's families are copied in one statement from its holiday cycle's benefit entries joined to the
-- families (`Campaign::fill_from_cycle`); each entry's own foreign key already holds its family, and the
-- service's role cannot delete a family (an exit is a status). Checking the family again for every copied row
-- cost 1.4 s of a 100,000-family campaign (its goal is 10 s), so that second check goes; the campaign's own
-- key stays.
ALTER TABLE visit_campaign_families DROP CONSTRAINT visit_campaign_families_tenant_id_family_id_fkey;
