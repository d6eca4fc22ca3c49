DROP SEQUENCE directory_generation;
