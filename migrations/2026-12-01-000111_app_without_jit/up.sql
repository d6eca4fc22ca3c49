-- The service's statements are short and planned often; PostgreSQL's JIT compiles a plan whose estimated
-- cost passes jit_above_cost (the check-in sweep's page, a fresh dashboard) for 100–175 ms, several
-- times what the statement itself takes. The service's role plans without it, in every database.
ALTER ROLE nuanxin_app SET jit = off;
