//! Nuanxin policy engine: a district's benefits as configuration.
//!
//! [`Policy::parse`] reads a district's policy (YAML: legal basis, dated parameters, named conditions,
//! programs) and checks it; [`evaluate`] turns one family's canonical facts on a date into
//! entitlements, each with readable Chinese reasons and the clause it rests on, plus the programs the
//! family missed and the condition that failed. [`TestSuite`] runs the OpenFisca-style cases kept
//! beside each policy. No I/O: callers pass file names and texts, and the evaluation date.

mod analysis;
mod catalog;
mod cond;
mod eval;
mod facts;
mod mutants;
mod params;
mod policy;
mod reason;
mod suite;
mod yaml;

pub use analysis::{
    compare, CostLine, EntitlementChanges, EntitlementRef, FamilyImpact, Forecast, ForecastBuilder,
    Impact, ImpactBuilder, ProgramImpact,
};
pub use eval::{evaluate, evaluate_into, evaluate_with, Detail, Entitlement, Evaluation, Miss};
pub use facts::{
    age_on, days_between, Care, Child, FamilyFacts, Household, Kind, Parent, Rebirth, Role,
    SelfCare,
};
pub use mutants::{Mutant, MutationReport};
pub use params::{ParamEntry, ParamUnit, ParamValue, Parameter};
pub use policy::{AmountSpec, LegalBasis, Period, Policy, Program, Unit};
pub use reason::Reason;
pub use suite::{CaseResult, TestReport, TestSuite};
pub use yaml::{ErrorKind, PolicyError, MAX_DEPTH, MAX_SOURCE_BYTES};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
