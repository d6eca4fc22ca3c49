DROP TABLE contact_accounts;
DROP TABLE contact_log;
DROP TABLE visits;
DROP TABLE visit_campaign_families;
DROP TABLE visit_campaigns;
DELETE FROM follow_ups WHERE change IN ('visit_need', 'contact_problem', 'not_visited', 'no_contact', 'few_contacts');
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_change_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_change_check CHECK (change IN ('gained', 'lost', 'amount_changed', 'volunteer_concern'));
