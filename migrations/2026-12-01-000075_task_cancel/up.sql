-- Cancelling a service task (issue 10): the street's reason, kept once per task (a second cancel finds
-- the row: 409); the task's live offers end as 'withdrawn', and the organization and an assigned
-- volunteer are told through a 'cancel' notice.
CREATE TABLE task_cancellations (
    tenant_id     uuid NOT NULL,
    task_id       uuid NOT NULL,
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    cancelled_by  text NOT NULL,
    cancelled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, task_id),
    FOREIGN KEY (tenant_id, task_id) REFERENCES service_tasks (tenant_id, id)
);
ALTER TABLE task_cancellations ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_cancellations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON task_cancellations USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT, INSERT ON task_cancellations TO nuanxin_app;

ALTER TABLE task_offers DROP CONSTRAINT task_offers_status_check;
ALTER TABLE task_offers ADD CONSTRAINT task_offers_status_check
    CHECK (status IN ('offered', 'accepted', 'declined', 'expired', 'assigned', 'checked_in', 'done',
                      'no_show', 'withdrawn'));

ALTER TABLE task_notices DROP CONSTRAINT task_notices_kind_check;
ALTER TABLE task_notices ADD CONSTRAINT task_notices_kind_check
    CHECK (kind IN ('offer', 'answer', 'assignment', 'reminder', 'no_show', 'cancel'));

-- A matching run reads open tasks in one transaction and writes its offers in another. An offer is
-- written only while its task is open, and the check waits (FOR SHARE) for a cancel under way on the
-- task, so a run that read the task before the cancel committed cannot offer it afterwards: the row is
-- skipped as if another run had taken the slot.
CREATE FUNCTION task_offer_needs_open_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM service_tasks
        WHERE tenant_id = NEW.tenant_id AND id = NEW.task_id AND status = 'open'
        FOR SHARE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER task_offers_need_open_task BEFORE INSERT ON task_offers
    FOR EACH ROW EXECUTE FUNCTION task_offer_needs_open_task();
