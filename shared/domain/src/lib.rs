//! Nuanxin's domain model: districts and their org structure, the family registry's records and their
//! validation, and the one mapping from a registry record to the policy engine's facts. No I/O, no clock:
//! callers pass "today" in the district's time zone.

pub mod benefit;
pub mod checkins;
pub mod error;
pub mod facts;
pub mod family;
pub mod hukou;
pub mod labels;
pub mod org;
pub mod schedule;
pub mod sharing;
pub mod tasks;
pub mod tenant;

pub use error::{FieldError, ValidationErrors};
pub mod visits;
