//! The sweep's pure part for a large district set: `Day::decide` for 100,000 pairings' days of which
//! 10,000 missed their check-in, beside the minute-by-minute reference simulation on the same days.
//!
//! cargo bench -p nuanxin-checkins --bench decide [-- PAIRINGS MISSED]

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nuanxin_checkins::{CheckIn, Day, Outcome, RecipientKind, Step};

#[path = "../tests/support/mod.rs"]
mod support;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut number = |default: usize, what: &str| match args.next() {
        None => Ok(default),
        Some(a) => a
            .parse::<usize>()
            .map_err(|_| format!("{what} must be a count, not `{a}`")),
    };
    let pairings = number(100_000, "PAIRINGS")?;
    let missed = number(10_000, "MISSED")?.min(pairings);

    let midnight = DateTime::parse_from_rfc3339("2026-12-02T00:00:00+08:00")
        .map_err(|e| e.to_string())?
        .with_timezone(&Utc);
    let at = |m: i64| midnight + Duration::minutes(m);
    let date = NaiveDate::from_ymd_opt(2026, 12, 2).ok_or("date")?;
    let steps: Vec<Step> = [0, 30, 60, 120]
        .into_iter()
        .zip(RecipientKind::ALL)
        .map(|(after_minutes, recipient)| Step {
            after_minutes,
            recipient,
        })
        .collect();
    // Every tenth missed day has a "not reached" at 10:40; the answered days checked in at 9:xx.
    let days: Vec<Vec<(i64, Outcome)>> = (0..pairings)
        .map(|i| {
            if i < missed {
                if i % 10 == 0 {
                    vec![(640, Outcome::NotReached)]
                } else {
                    vec![]
                }
            } else {
                vec![(540 + (i % 60) as i64, Outcome::Well)]
            }
        })
        .collect();
    let check_ins: Vec<Vec<CheckIn>> = days
        .iter()
        .map(|d| {
            d.iter()
                .map(|&(m, outcome)| CheckIn { at: at(m), outcome })
                .collect()
        })
        .collect();
    let now = at(support::DEADLINE + 125);

    for round in 1..=3 {
        let started = Instant::now();
        let mut raised = 0usize;
        for (i, c) in check_ins.iter().enumerate() {
            let day = Day {
                pairing: nuanxin_ids::PairingId::from_uuid(uuid::Uuid::from_u128(i as u128)),
                date,
                deadline: at(support::DEADLINE),
                steps: &steps,
                check_ins: c,
                acknowledged: &[],
                raised: &[],
                cleared: &[],
                ended_at: None,
            };
            raised += black_box(day.decide(now)).raise.len();
        }
        let decide = started.elapsed();

        let started = Instant::now();
        let mut reference = 0usize;
        for d in &days {
            let scenario = support::Scenario {
                steps: steps.clone(),
                check_ins: d.clone(),
                acks: vec![],
                ended: None,
            };
            reference += black_box(support::simulate(&scenario))
                .values()
                .filter(|&&(m, _)| m <= support::DEADLINE + 125)
                .count();
        }
        let simulate = started.elapsed();
        if raised != reference {
            return Err(format!(
                "decide raised {raised} steps, the simulation {reference}"
            ));
        }
        println!(
            "round {round}: {pairings} pairings, {missed} missed: decide {:.1} ms ({raised} steps), minute-by-minute simulation {:.1} ms",
            decide.as_secs_f64() * 1e3,
            simulate.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
