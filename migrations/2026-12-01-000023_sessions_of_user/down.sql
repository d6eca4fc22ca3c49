DROP FUNCTION sessions_end_of_user(uuid);
