-- Every node reloads districts and access rules when the directory changes. Counting districts and rules
-- noticed onboarding and new accounts, but not a change that keeps the counts (an account moved to
-- another role or unit, a policy parameter value saved): such changes take a number from this sequence.
-- nextval is not rolled back with its transaction, so a change that fails costs one needless reload.
CREATE SEQUENCE directory_generation;
GRANT USAGE, SELECT ON SEQUENCE directory_generation TO nuanxin_app;
