//! # nuanxin-access — who may do what in which district
//!
//! casbin RBAC with domains: the tenant (district slug) is casbin's domain, role permissions
//! are written once for every district (`p, role:<role>, *, <resource>, <action>`), a district
//! may add grants for its own domain, and users get roles per tenant
//! (`g, user:<id>, role:<role>, <tenant>`). The caller loads and persists the lines (table
//! `access_rules(ptype, v0..v5)`); this crate does no I/O.
//!
//! [`Authorizer`] caches decisions per (tenant, role, resource, action) — not per user — in
//! atomics read under a shared lock, so a check costs a few hash lookups; casbin is asked only
//! on a miss, and rule reloads drop every cached decision. Row scoping inside a tenant is decided
//! here once per caller ([`Scope::of`]) and applied by the database crate's one predicate builder.

mod authorizer;
mod error;
mod rule;
mod scope;
mod vocab;

pub use authorizer::{casbin_enforcer, Authorizer, CacheStats, MODEL};
pub use casbin;
pub use error::AccessError;
pub use rule::{parse_rules, RuleLine, ANY_DOMAIN, PLATFORM_DOMAIN};
pub use scope::Scope;
pub use vocab::{Action, Resource, Role, ScopeKind};

/// The default role permissions, casbin CSV (`p, role:<role>, <domain>, <resource>, <action>`).
pub const ROLE_PERMISSIONS_CSV: &str = include_str!("../role_permissions.csv");

/// The default role permissions as rule lines (domain `*`, and `platform` for the platform
/// operator), to seed `access_rules`.
pub fn default_role_permissions() -> Vec<RuleLine> {
    parse_rules(ROLE_PERMISSIONS_CSV)
}
