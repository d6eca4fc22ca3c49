-- The sealer found unsealed events by scanning the log: the recent ones above the chain's newest link
-- every 2 seconds, and every event of the district every 5 minutes for those whose transactions
-- committed late (an id is taken when a transaction inserts, visible when it commits). The whole-log
-- pass grew with the log (3.6–5.8 s a district at 100,000 families, holding the chain's lock) and slowed
-- every query beside it. Now each event is queued as it is inserted, in its own transaction, and leaves
-- the queue when its link is made: the sealer reads exactly what is unsealed, late commits included.
--
-- Both moves are made by triggers owned by the schema's owner: the service's role may read the queue but
-- neither add to it nor take from it, so no event can be kept out of the chain by emptying the queue.
CREATE TABLE audit_unsealed (
    tenant_id uuid NOT NULL,
    event_id  bigint NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
ALTER TABLE audit_unsealed ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_unsealed FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_unsealed USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT ON audit_unsealed TO nuanxin_app;

CREATE FUNCTION audit_queue_unsealed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO audit_unsealed (tenant_id, event_id) SELECT tenant_id, id FROM inserted;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_events_queue_unsealed AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION audit_queue_unsealed();

-- By each district's array of ids: a lookup in the queue's key whatever the planner guesses of a table
-- without statistics (a join with the transition table read the whole queue, dead rows included).
CREATE FUNCTION audit_dequeue_sealed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t uuid;
BEGIN
    FOR t IN SELECT DISTINCT tenant_id FROM linked LOOP
        DELETE FROM audit_unsealed
        WHERE tenant_id = t AND event_id = ANY (ARRAY(SELECT event_id FROM linked WHERE tenant_id = t));
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_chain_dequeue_sealed AFTER INSERT ON audit_chain
    REFERENCING NEW TABLE AS linked FOR EACH STATEMENT EXECUTE FUNCTION audit_dequeue_sealed();

REVOKE ALL ON FUNCTION audit_queue_unsealed(), audit_dequeue_sealed() FROM PUBLIC;

-- A queue: every row is deleted within seconds of its insert. Vacuumed as soon as a few thousand rows
-- are dead, so that reading its head does not walk over them.
ALTER TABLE audit_unsealed SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
                                autovacuum_vacuum_insert_scale_factor = 0,
                                autovacuum_vacuum_insert_threshold = 5000);

-- What is unsealed today, found the old way once.
INSERT INTO audit_unsealed (tenant_id, event_id)
SELECT e.tenant_id, e.id FROM audit_events e
WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.tenant_id = e.tenant_id AND c.event_id = e.id);

-- The whole-log sweep job is gone; its schedule rows would read as a job that stopped.
DELETE FROM job_runs WHERE job = 'seal_audit_sweep';
