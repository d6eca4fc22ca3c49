DROP TRIGGER audit_chain_dequeue_sealed ON audit_chain;
DROP TRIGGER audit_events_queue_unsealed ON audit_events;
DROP FUNCTION audit_dequeue_sealed();
DROP FUNCTION audit_queue_unsealed();
DROP TABLE audit_unsealed;
