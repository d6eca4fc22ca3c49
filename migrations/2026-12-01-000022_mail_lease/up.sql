-- Mail is leased, not locked: a dispatcher leases a batch and commits, sends outside any transaction, and
-- marks each message sent in a short transaction that checks its lease. A dispatcher that dies before
-- marking leaves the lease to expire; the message is sent again with the same Message-ID (its outbox id).
ALTER TABLE mail_outbox ADD COLUMN lease_id uuid, ADD COLUMN leased_until timestamptz;
