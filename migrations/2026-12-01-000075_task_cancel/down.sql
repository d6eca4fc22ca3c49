DROP TRIGGER task_offers_need_open_task ON task_offers;
DROP FUNCTION task_offer_needs_open_task();
DELETE FROM task_notices WHERE kind = 'cancel';
ALTER TABLE task_notices DROP CONSTRAINT task_notices_kind_check;
ALTER TABLE task_notices ADD CONSTRAINT task_notices_kind_check
    CHECK (kind IN ('offer', 'answer', 'assignment', 'reminder', 'no_show'));
UPDATE task_offers SET status = 'declined' WHERE status = 'withdrawn';
ALTER TABLE task_offers DROP CONSTRAINT task_offers_status_check;
ALTER TABLE task_offers ADD CONSTRAINT task_offers_status_check
    CHECK (status IN ('offered', 'accepted', 'declined', 'expired', 'assigned', 'checked_in', 'done',
                      'no_show'));
DROP TABLE task_cancellations;
