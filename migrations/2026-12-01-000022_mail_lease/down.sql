ALTER TABLE mail_outbox DROP COLUMN lease_id, DROP COLUMN leased_until;
