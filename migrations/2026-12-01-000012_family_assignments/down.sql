DROP TABLE family_assignments;
