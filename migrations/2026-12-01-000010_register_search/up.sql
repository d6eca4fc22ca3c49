-- Searching the register by a parent's name (`GET /families?q=`): a trigram index, led by the tenant like
-- every index (btree_gin lets a GIN index begin with the uuid). Search by resident ID uses the keyed hash
-- and its unique index; the plain number is never stored.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX family_members_by_name ON family_members USING gin (tenant_id, name gin_trgm_ops);
