DROP FUNCTION family_of_resident(uuid, bytea);
