DROP FUNCTION session_open(bytea, uuid, text, timestamptz), session_find(bytea), session_end(bytea),
    sessions_ended(integer), sessions_purge(bytea[]);
DROP TABLE sessions;
