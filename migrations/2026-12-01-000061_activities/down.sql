DROP TABLE activity_participants;
DROP TABLE activities;
DROP TABLE signature_projects;
