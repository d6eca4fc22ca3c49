-- Sessions live here; Redis holds copies (the fast path) and may be down. A session is looked up by the
-- SHA-256 of its bearer token before its district is known, so the table is not tenant-scoped: the
-- service's role has no privilege on it at all and reaches it only through the functions below, each by
-- one token hash (it cannot list sessions). A session names a user, district and roles: no family data.
-- Its district is inside `body`, not a column: the table is no district's (every table with a tenant_id
-- column is under forced row-level security).
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id     uuid NOT NULL,
    -- The session as the service serializes it (services/nuanxin/src/auth).
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    -- Logged out. The row stays until the Redis copy is known to be gone (the purge job), so a logout
    -- made while Redis was unreachable still removes the copy once it is back.
    ended_at    timestamptz
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;
REVOKE ALL ON sessions FROM PUBLIC;

CREATE FUNCTION session_open(p_hash bytea, p_user uuid, p_body text, p_expires timestamptz)
RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO sessions (token_hash, user_id, body, expires_at)
    VALUES (p_hash, p_user, p_body, p_expires)
    RETURNING true
$$;

-- The live session of a token hash, or NULL (unknown, expired or ended).
CREATE FUNCTION session_find(p_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT body FROM sessions WHERE token_hash = p_hash AND ended_at IS NULL AND expires_at > now()
$$;

-- Ends a session and announces it on 'nuanxin_session_ended' (payload: the hash in hex) when the
-- transaction commits, so every node drops its copy. True if a live session was ended.
CREATE FUNCTION session_end(p_hash bytea) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE sessions SET ended_at = now() WHERE token_hash = p_hash AND ended_at IS NULL;
    IF FOUND THEN
        PERFORM pg_notify('nuanxin_session_ended', encode(p_hash, 'hex'));
    END IF;
    RETURN FOUND;
END $$;

-- Ended sessions whose Redis copies may remain (at most p_limit).
CREATE FUNCTION sessions_ended(p_limit integer) RETURNS SETOF bytea
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT token_hash FROM sessions WHERE ended_at IS NOT NULL ORDER BY ended_at LIMIT p_limit
$$;

-- Deletes the given ended sessions (their Redis copies are gone) and every expired one; returns how many.
CREATE FUNCTION sessions_purge(p_ended bytea[]) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM sessions
        WHERE expires_at <= now() OR (ended_at IS NOT NULL AND token_hash = ANY (p_ended))
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;

REVOKE ALL ON FUNCTION session_open(bytea, uuid, text, timestamptz), session_find(bytea),
    session_end(bytea), sessions_ended(integer), sessions_purge(bytea[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_open(bytea, uuid, text, timestamptz), session_find(bytea),
    session_end(bytea), sessions_ended(integer), sessions_purge(bytea[]) TO nuanxin_app;
