-- A cash entry whose amount the policy leaves to "the relevant standard" (no value configured) is approved
-- only with an amount entered by the approving bureau, with its reason; who entered it is kept.
ALTER TABLE benefit_entries
    ADD COLUMN amount_note text,
    ADD COLUMN amount_entered_by text,
    ADD CONSTRAINT benefit_entries_amount_entered CHECK ((amount_entered_by IS NULL) = (amount_note IS NULL));
