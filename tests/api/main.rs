//! API integration tests: one binary, one module per resource.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests panic on the unexpected"
)]

mod access;
mod audit;
mod auth;
mod benefits;
mod browser;
mod checkins;
mod console;
mod families;
mod fixtures;
mod health;
mod helpers;
mod import;
mod isolation;
mod jobs;
mod mail;
mod near;
mod policy;
mod schema;
mod sharing;
mod tasks;
mod tasks_import;
mod tasks_proposals;
mod tenants;
mod visits;
