DROP TABLE policy_parameter_values;
