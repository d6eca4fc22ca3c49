DROP INDEX audit_events_sharing_by_object;
DROP TABLE data_release_records;
DROP TABLE data_releases;
DROP TABLE data_requests;
DROP TABLE sharing_consents;
