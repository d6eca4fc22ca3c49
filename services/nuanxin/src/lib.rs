//! The Nuanxin service: HTTP API and web console over the shared domain crates, the CLI's commands,
//! and the background jobs (`jobs`: audit sealing, mail, follow-ups, session purging).

pub mod audit;
pub mod auth;
pub mod benefits;
pub mod cache;
pub mod checkins;
pub mod cli;
pub mod configuration;
pub mod console;
pub mod demo;
pub mod error;
pub mod follow_ups;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod near;
pub mod onboarding;
pub mod page;
pub mod parameters;
pub mod platform;
pub mod policy_cli;
pub mod registry;
pub mod routes;
pub mod sharing;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod users;
pub mod visits;
pub mod work;
