-- Ends every live session of one user (their account was disabled), announcing each on
-- 'nuanxin_session_ended' like session_end when the transaction commits; returns their token hashes, so the
-- caller drops its own copies at once.
CREATE FUNCTION sessions_end_of_user(p_user uuid) RETURNS SETOF bytea
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    h bytea;
BEGIN
    FOR h IN WITH ended AS (
                 UPDATE sessions SET ended_at = now()
                 WHERE user_id = p_user AND ended_at IS NULL
                 RETURNING token_hash)
             SELECT token_hash FROM ended
    LOOP
        PERFORM pg_notify('nuanxin_session_ended', encode(h, 'hex'));
        RETURN NEXT h;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION sessions_end_of_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sessions_end_of_user(uuid) TO nuanxin_app;
