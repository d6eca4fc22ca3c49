DROP TABLE task_notices;
DROP TABLE task_offers;
DROP TABLE matching_runs;
DROP TABLE service_tasks;
DROP TABLE volunteers;
DELETE FROM follow_ups WHERE change = 'volunteer_concern';
ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_change_check;
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_change_check
    CHECK (change IN ('gained', 'lost', 'amount_changed'));
