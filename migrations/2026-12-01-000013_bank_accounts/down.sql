ALTER TABLE family_members DROP COLUMN bank_account_enc;
