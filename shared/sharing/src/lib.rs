//! Privacy-controlled data sharing (issue 12) as pure logic, no I/O: the catalogue of releasable
//! register fields and their modes, the undo relation between masks and other fields, sharing rules
//! from `tenants/<slug>/sharing.yaml` checked on load, request checking, minimisation of one family
//! into its released record, and aggregates with primary and secondary suppression across the
//! tables of one release.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod aggregate;
pub mod catalogue;
pub mod minimise;
pub mod request;
pub mod rules;

pub use aggregate::{
    aggregate, aggregate_with_held, aggregate_within, AggCell, AggregateError, Aggregates, Held,
};
pub use catalogue::{undone_masks, Field, Mode, Piece, Undo};
pub use minimise::{department_pseudonymizer, minimise, FamilyFacts, ParentFacts};
pub use request::{
    age_band, check_request, check_verification, matches, Request, RequestError, AGE_BANDS, KINDS,
};
pub use rules::{Basis, Directory, FilterKind, Rule, RulesError, SharingRules};
