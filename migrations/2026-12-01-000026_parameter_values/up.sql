-- Dated values of a district's policy parameters that its administrator enters once they are published (a
-- new Beijing minimum wage, a subsidy standard the document left to the district), applied on top of
-- tenants/<slug>/policy.yaml whenever the district loads. Append-only: a correction is a later entry for the
-- same parameter and date, and the latest entry wins; every entry keeps who entered it and on what basis.
CREATE TABLE policy_parameter_values (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    parameter      text NOT NULL CHECK (parameter ~ '^[a-z][a-z0-9_]{0,63}$'),
    effective_from date NOT NULL,
    -- Whole units of the parameter; NULL withdraws the value from that date on.
    value          bigint CHECK (value BETWEEN 0 AND 100000000),
    -- The published document the value comes from, e.g. 京人社劳发〔2025〕12号.
    basis          text NOT NULL CHECK (length(basis) BETWEEN 1 AND 200),
    entered_by     uuid NOT NULL,
    entered_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX policy_parameter_values_by_date
    ON policy_parameter_values (tenant_id, parameter, effective_from, id);

ALTER TABLE policy_parameter_values ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_parameter_values FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON policy_parameter_values USING (tenant_id = nuanxin_current_tenant())
    WITH CHECK (tenant_id = nuanxin_current_tenant());
GRANT SELECT, INSERT ON policy_parameter_values TO nuanxin_app;
