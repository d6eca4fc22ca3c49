//! API integration tests: one binary, one module per resource.

mod access;
mod audit;
mod auth;
mod families;
mod health;
mod helpers;
mod import;
mod isolation;
mod mail;
mod policy;
