DROP INDEX IF EXISTS family_members_by_name;
