//! Daily check-ins of neighbour pairings (issue 11): the district's escalation ladder, which days a
//! pairing expects a check-in, and the sweep's decision for one pairing and day. No I/O: the service
//! reads the rows, asks [`Day::decide`], and inserts what it returns under each alert's unique key.

mod ladder;
mod schedule;
mod sweep;

pub use ladder::{
    parse_weekday, weekday_code, InvalidLadder, Ladder, LadderError, RecipientKind, Step,
    DEFAULT_RADIUS_M, MAX_AFTER_MINUTES, MAX_RADIUS_M, MAX_SILENT_DAYS, MAX_SOURCE_BYTES,
};
pub use schedule::{Pause, Schedule};
pub use sweep::{
    silence, AlertKey, AllClear, Cause, CheckIn, Day, Decision, Outcome, Raise, SilenceKey,
    LATE_AFTER,
};
