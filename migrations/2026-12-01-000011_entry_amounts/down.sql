ALTER TABLE benefit_entries DROP COLUMN amount_note, DROP COLUMN amount_entered_by;
