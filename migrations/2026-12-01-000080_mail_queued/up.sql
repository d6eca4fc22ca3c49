-- Every commit that queues mail wakes the dispatchers of every node at once (the mail module's
-- `listen`): a statement-level trigger notifies, and PostgreSQL delivers the notification only when the
-- transaction commits (never for one rolled back), once per transaction however many rows or statements.
CREATE FUNCTION nuanxin_mail_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('nuanxin_mail', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER mail_outbox_queued AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION nuanxin_mail_queued();

-- The mail job now runs once for the platform (it drains every district in turn); its old per-district
-- claims would hold its last success in /metrics at their last run forever.
DELETE FROM job_runs WHERE job = 'send_mail' AND domain <> 'platform';
