-- A parent's own bank account (开户银行 and account number), where the disbursing unit pays their cash
-- benefits: encrypted like resident IDs (AES-GCM, bound to district, family, column and role), so the
-- bank name and number travel together and only the payment list shows them in full.
ALTER TABLE family_members ADD COLUMN bank_account_enc bytea;
-- The people document copies the member rows (migration read_path): rebuilt with the new column.
UPDATE families f SET people = json_build_object(
    'members', COALESCE((SELECT json_agg(m ORDER BY m.role DESC) FROM family_members m
                         WHERE m.tenant_id = f.tenant_id AND m.family_id = f.id), '[]'::json),
    'contacts', COALESCE((SELECT json_agg(c ORDER BY c.position) FROM contact_persons c
                          WHERE c.tenant_id = f.tenant_id AND c.family_id = f.id), '[]'::json));
