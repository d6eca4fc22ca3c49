//! The cost model at district scale: 5,000 open tasks over the district's households and 20,000 volunteers
//! spread over it, each with two or three of the eight skills, a counselling qualification for one in ten, a
//! few weekly slots and some load. Prints the time of candidates + costs + solve + reasons (best of 3) and
//! the outcome's size. A deterministic generator, so runs compare.

use std::time::Instant;

use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::cost::{Model, OpenTask, Point, Visits, Volunteer};
use nuanxin_domain::tasks::Slot;
use uuid::Uuid;

const SKILLS: [&str; 8] = [
    "day_patrol",
    "hospital_escort",
    "meal_delivery",
    "psychological_comfort",
    "legal_consultation",
    "home_help",
    "health_guidance",
    "household_pairing",
];
const DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// xorshift: enough spread for a benchmark, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

fn main() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tenants/xicheng/matching.yaml"
    ))
    .unwrap_or_default();
    let Ok(cfg) = MatchingConfig::parse("matching.yaml", &source) else {
        eprintln!("tenants/xicheng/matching.yaml does not parse");
        return;
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Xicheng is about 10 km × 12 km around (39.91, 116.37).
    let spot = |rng: &mut Rng| Point {
        lat: 39.86 + rng.unit() * 0.10,
        lon: 116.31 + rng.unit() * 0.14,
    };
    let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
    let tasks: Vec<OpenTask> = (0..5_000)
        .map(|i| {
            let day = monday + Duration::days(rng.below(7) as i64);
            let hour = 8 + rng.below(9) as u32;
            let start = day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default());
            let service = SKILLS[(rng.below(100) as usize * SKILLS.len() / 100) % 8];
            OpenTask {
                family: nuanxin_ids::FamilyId::from_uuid(Uuid::from_u128(1 + i / 3)),
                service: service.to_owned(),
                qualifications: vec![],
                starts: start,
                ends: start + Duration::hours(1 + rng.below(2) as i64),
                location: Some(spot(&mut rng)),
                by_phone: service == "psychological_comfort" && rng.below(2) == 0,
                urgent: rng.below(10) == 0,
                slots: 1 + u32::from(rng.below(10) == 0),
                excluded: vec![],
                keep: None,
            }
        })
        .collect();
    let helpers: Vec<Volunteer> = (0..20_000)
        .map(|_| {
            let n = 2 + rng.below(2) as usize;
            let skills = (0..n)
                .map(|_| SKILLS[rng.below(8) as usize].to_owned())
                .collect();
            let slots = (0..3)
                .map(|_| Slot {
                    day: DAYS[rng.below(7) as usize],
                    from: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
                    to: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
                })
                .collect();
            Volunteer {
                skills,
                qualifications: if rng.below(10) == 0 {
                    vec![("counselor".into(), None), ("lawyer".into(), None)]
                } else {
                    vec![]
                },
                availability: slots,
                home: Some(spot(&mut rng)),
                weekly_max: 1 + rng.below(3) as u32,
                held: rng.below(2) as u32,
                recent_offers: rng.below(3) as u32,
                no_shows: u32::from(rng.below(20) == 0),
                preference: rng.below(4) as u8,
                busy: vec![],
            }
        })
        .collect();
    let visits = Visits::new();
    let mut best = f64::MAX;
    let mut outcome = None;
    for _ in 0..3 {
        let started = Instant::now();
        let result = Model::new(&cfg, &tasks, &helpers, &visits).propose();
        best = best.min(started.elapsed().as_secs_f64());
        outcome = result.ok();
    }
    match outcome {
        Some(o) => println!(
            "5,000 tasks × 20,000 volunteers: {:.3} s best of 3; {} candidate pairs, {} matches, {} tasks short, cost {}",
            best,
            o.candidates,
            o.proposals.len(),
            o.unfilled.len(),
            o.total_cost
        ),
        None => eprintln!("the engine refused the problem"),
    }
}
