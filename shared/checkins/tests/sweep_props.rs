//! The sweep against a brute-force simulation of the day, minute by minute.
#![allow(clippy::unwrap_used)]

use nuanxin_ids::PairingId;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nuanxin_checkins::{Cause, CheckIn, Day, Outcome, RecipientKind, Step, LATE_AFTER};
use proptest::prelude::*;
use support::{simulate, Scenario, DEADLINE, HORIZON};
use uuid::Uuid;

mod support;

fn minute(m: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T00:00:00+08:00")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::minutes(m)
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let steps = prop::collection::btree_set(0u32..300, 1..5).prop_map(|delays| {
        delays
            .into_iter()
            .enumerate()
            .map(|(i, after_minutes)| Step {
                after_minutes,
                recipient: RecipientKind::ALL[i % 4],
            })
            .collect::<Vec<_>>()
    });
    let outcome = prop_oneof![
        Just(Outcome::Well),
        Just(Outcome::NeedsHelp),
        Just(Outcome::NotReached)
    ];
    (
        steps,
        prop::collection::vec((500i64..1000, outcome), 0..4),
        prop::collection::vec(550i64..1000, 0..3),
        prop::option::weighted(0.2, 550i64..1000),
    )
        .prop_map(|(steps, check_ins, acks, ended)| Scenario {
            steps,
            check_ins,
            acks,
            ended,
        })
}

/// Sorted sweep times, each repeated one to three times (several nodes, or a fast loop).
fn sweeps() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec((0i64..HORIZON, 1usize..4), 1..25).prop_map(|times| {
        let mut out: Vec<i64> = times
            .into_iter()
            .flat_map(|(t, n)| std::iter::repeat_n(t, n))
            .collect();
        out.sort_unstable();
        out
    })
}

struct Run {
    /// step → (due minute, cause, late, sweep minute that raised it)
    raised: BTreeMap<usize, (i64, Cause, bool, i64)>,
    /// step → answered minute
    cleared: BTreeMap<usize, i64>,
}

fn run(s: &Scenario, sweeps: &[i64]) -> Run {
    let check_ins: Vec<CheckIn> = s
        .check_ins
        .iter()
        .map(|&(m, outcome)| CheckIn {
            at: minute(m),
            outcome,
        })
        .collect();
    let acks: Vec<DateTime<Utc>> = s.acks.iter().map(|&m| minute(m)).collect();
    let mut raised_idx: Vec<usize> = Vec::new();
    let mut cleared_idx: Vec<usize> = Vec::new();
    let mut out = Run {
        raised: BTreeMap::new(),
        cleared: BTreeMap::new(),
    };
    for &t in sweeps {
        let day = Day {
            pairing: PairingId::from_uuid(Uuid::from_u128(1)),
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            deadline: minute(DEADLINE),
            steps: &s.steps,
            check_ins: &check_ins,
            acknowledged: &acks,
            raised: &raised_idx,
            cleared: &cleared_idx,
            ended_at: s.ended.map(minute),
        };
        let decision = day.decide(minute(t));
        for r in decision.raise {
            assert!(
                !raised_idx.contains(&r.key.step),
                "step {} raised twice",
                r.key.step
            );
            assert_eq!(r.key.recipient, s.steps[r.key.step].recipient);
            let due = (r.due_at - minute(0)).num_minutes();
            out.raised.insert(r.key.step, (due, r.cause, r.late, t));
            raised_idx.push(r.key.step);
        }
        for c in decision.all_clear {
            assert!(
                !cleared_idx.contains(&c.key.step),
                "step {} cleared twice",
                c.key.step
            );
            assert!(
                raised_idx.contains(&c.key.step),
                "step {} cleared before it was raised",
                c.key.step
            );
            out.cleared
                .insert(c.key.step, (c.answered_at - minute(0)).num_minutes());
            cleared_idx.push(c.key.step);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any sweep times, any repeats: each step is raised at most once, at the first sweep at or after the
    /// minute the simulation has it fall due (unless the pairing ended first), with the simulation's due
    /// time and cause, marked late exactly when the sweep came more than LATE_AFTER after it; each raised
    /// step answered `well` after it fell due gets one all-clear, naming the first such answer.
    #[test]
    fn sweeps_match_the_minute_by_minute_simulation(s in scenario(), times in sweeps()) {
        let due = simulate(&s);
        let got = run(&s, &times);
        let mut expected = BTreeMap::new();
        for (&step, &(at, cause)) in &due {
            if let Some(&t) = times.iter().find(|&&t| t >= at && s.ended.is_none_or(|w| t < w)) {
                expected.insert(step, (at, cause, t - at > LATE_AFTER.num_minutes(), t));
            }
        }
        prop_assert_eq!(&got.raised, &expected);
        let last = times.last().copied().unwrap_or(0);
        let mut expected_clear = BTreeMap::new();
        for (&step, &(at, ..)) in &got.raised {
            let answer = s.check_ins.iter()
                .filter(|&&(m, o)| o == Outcome::Well && m > at && m <= last)
                .map(|&(m, _)| m)
                .min();
            if let Some(m) = answer {
                expected_clear.insert(step, m);
            }
        }
        prop_assert_eq!(&got.cleared, &expected_clear);
    }

    /// Catch-up equivalence: whatever sweeps ran before, the steps raised by the end (with their due times
    /// and causes) are those one sweep at the last time raises alone, and those a sweep every minute raises.
    /// (A withdrawal between the sweeps is the exception by design: nothing is raised after it, so a step
    /// due before it is raised only if a sweep ran in between; the first property covers that.)
    #[test]
    fn the_raised_steps_do_not_depend_on_when_the_sweep_ran(s in scenario(), times in sweeps()) {
        let last = *times.last().unwrap();
        prop_assume!(s.ended.is_none_or(|w| last < w));
        let strip = |r: Run| r.raised.into_iter().map(|(k, (due, cause, ..))| (k, (due, cause))).collect::<BTreeMap<_, _>>();
        let chosen = strip(run(&s, &times));
        let once = strip(run(&s, &[last]));
        prop_assert_eq!(&chosen, &once);
        let every_minute: Vec<i64> = (0..=last).collect();
        let every = strip(run(&s, &every_minute));
        prop_assert_eq!(&chosen, &every);
    }

    /// Every step whose time after the deadline passed is raised unless a `well` check-in or an
    /// acknowledgment came at or before that time (or the pairing ended), checked directly on the inputs.
    #[test]
    fn every_unstopped_step_is_raised(s in scenario()) {
        let got = run(&s, &[HORIZON - 1]);
        for (i, step) in s.steps.iter().enumerate() {
            let at = DEADLINE + i64::from(step.after_minutes);
            let stopped = s.check_ins.iter().any(|&(m, o)| o == Outcome::Well && m <= at)
                || s.acks.iter().any(|&m| m <= at);
            let escalated_before_end = s.check_ins.iter().any(|&(m, o)| {
                o != Outcome::Well && s.ended.is_none_or(|w| m < w)
            });
            if s.ended.is_none() && !stopped {
                prop_assert!(got.raised.contains_key(&i), "step {} at {} not raised: {:?}", i, at, s);
            }
            if stopped && !escalated_before_end {
                prop_assert!(!got.raised.contains_key(&i), "stopped step {} raised: {:?}", i, s);
            }
        }
    }
}

mod silence_flag {
    use super::*;
    use chrono::{FixedOffset, NaiveTime, Weekday};
    use nuanxin_checkins::{silence, Pause, Schedule};

    const WEEK: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    fn schedule() -> impl Strategy<Value = Schedule> {
        (
            prop::collection::btree_set(0usize..7, 0..3),
            prop::collection::vec((0u64..120, prop::option::of(0u64..20)), 0..3),
            prop::option::weighted(0.2, 0i64..120 * 24 * 60),
        )
            .prop_map(|(off, pauses, ended)| Schedule {
                deadline: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                days_off: off.into_iter().map(|i| WEEK[i]).collect(),
                pauses: pauses
                    .into_iter()
                    .map(|(from, len)| {
                        let from = start() + chrono::Days::new(from);
                        Pause::new(from, len.map(|l| from + chrono::Days::new(l))).unwrap()
                    })
                    .collect(),
                starts: start(),
                ended_at: ended.map(|m| {
                    start().and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::minutes(m)
                }),
                offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Swept every six hours over four months with check-ins at given times: a stretch is flagged
        /// exactly when the brute-force count of expected, passed, unchecked days reaches N, once, and
        /// its `since` is that stretch's first such day.
        #[test]
        fn each_silent_stretch_is_flagged_once(
            s in schedule(),
            n in 1u32..10,
            check_in_hours in prop::collection::btree_set(0i64..120 * 24, 0..6),
        ) {
            let base = start().and_hms_opt(0, 0, 0).unwrap().and_utc();
            let check_ins: Vec<DateTime<Utc>> = check_in_hours.iter().map(|&h| base + Duration::hours(h)).collect();
            let pairing = PairingId::from_uuid(Uuid::from_u128(3));
            let mut flagged: Vec<NaiveDate> = Vec::new();
            for step in 0..(120 * 4) {
                let now = base + Duration::hours(6 * step);
                let last = check_ins.iter().copied().filter(|&c| c <= now).max();
                // Brute force: every day since the last check-in's day, kept if expected and passed.
                let first = last.map_or(s.starts, |c| s.local_date(c) + chrono::Days::new(1));
                let silent: Vec<NaiveDate> = (0..130)
                    .map(|i| start() + chrono::Days::new(i))
                    .filter(|&d| d >= first && s.expects(d) && s.deadline_on(d) <= now)
                    .collect();
                let due = (silent.len() >= n as usize).then(|| silent[0]);
                let got = silence(pairing, &s, last, n, flagged.last().copied(), now);
                match due {
                    Some(since) if flagged.last() != Some(&since) => {
                        prop_assert_eq!(got.map(|k| k.since), Some(since));
                        prop_assert!(!flagged.contains(&since), "stretch {} flagged twice", since);
                        flagged.push(since);
                    }
                    _ => prop_assert_eq!(got, None),
                }
            }
        }
    }
}
