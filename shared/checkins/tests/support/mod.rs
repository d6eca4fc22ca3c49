//! The reference for the sweep: the day walked one minute at a time (used by the property tests and
//! the benchmark).

use std::collections::BTreeMap;

use nuanxin_checkins::{Cause, Outcome, Step};

/// The deadline, in minutes after local midnight.
pub const DEADLINE: i64 = 600;
/// The end of the simulated day, in minutes.
pub const HORIZON: i64 = 1440;

/// One pairing's day, times in minutes after local midnight.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub steps: Vec<Step>,
    pub check_ins: Vec<(i64, Outcome)>,
    pub acks: Vec<i64>,
    pub ended: Option<i64>,
}

/// When each step falls due and why, by walking the day one minute at a time with the ladder's state.
pub fn simulate(s: &Scenario) -> BTreeMap<usize, (i64, Cause)> {
    let mut stopped = false;
    let mut escalated: Option<Cause> = None;
    let mut due = BTreeMap::new();
    for m in 0..HORIZON {
        if s.ended.is_some_and(|w| m >= w) {
            break;
        }
        for &(at, outcome) in &s.check_ins {
            if at == m {
                match outcome {
                    Outcome::Well => stopped = true,
                    Outcome::NeedsHelp => _ = escalated.get_or_insert(Cause::NeedsHelp),
                    Outcome::NotReached => _ = escalated.get_or_insert(Cause::NotReached),
                }
            }
        }
        if s.acks.contains(&m) {
            stopped = true;
        }
        for (i, step) in s.steps.iter().enumerate() {
            if due.contains_key(&i) {
                continue;
            }
            if let Some(cause) = escalated {
                due.insert(i, (m, cause));
            } else if !stopped && DEADLINE + i64::from(step.after_minutes) <= m {
                due.insert(i, (m, Cause::Missed));
            }
        }
    }
    due
}
