//! Row models and their queries, one module per table group.

pub mod access_rule;
pub mod assignment;
pub mod audit;
pub mod benefit;
pub mod checkins;
pub mod family;
pub mod follow_up;
pub mod job_run;
pub mod mail;
pub mod org_unit;
pub mod parameter_value;
pub mod session;
pub mod sharing;
pub mod tasks;
pub mod tenant;
pub mod user;
pub mod visits;
