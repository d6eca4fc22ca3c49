//! Throughput of the pure engine on one core: families evaluated per second, per district.
//!
//! `CARGO_TARGET_DIR=/work/target-policy cargo bench -p nuanxin-policy --bench evaluate`
//! (optional argument: seconds per measurement, default 3).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use nuanxin_policy::{
    evaluate, evaluate_into, evaluate_with, Care, Child, Detail, Evaluation, FamilyFacts,
    Household, Kind, Parent, Policy, Rebirth, Role, SelfCare,
};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn date(&mut self, from_year: i32, span_years: u64) -> NaiveDate {
        let base = NaiveDate::from_ymd_opt(from_year, 1, 1).unwrap_or_default();
        base + chrono::Days::new(self.below(span_years * 365))
    }
}

fn parent(rng: &mut Rng, role: Role) -> Parent {
    let elderly = rng.chance(60);
    Parent {
        role,
        birth_date: if elderly {
            rng.date(1940, 30)
        } else {
            rng.date(1970, 20)
        },
        alive: rng.chance(90),
        self_care: match rng.below(10) {
            0 => SelfCare::None,
            1 | 2 => SelfCare::Partial,
            _ => SelfCare::Full,
        },
        sanwu: rng.chance(5),
        care: if rng.chance(15) {
            Care::NursingHome
        } else {
            Care::Home
        },
        nursing_home_in_district: rng.chance(50),
        major_illness_hospitalized_on: rng.chance(15).then(|| rng.date(2024, 2)),
        out_of_pocket_medical_cny: rng.below(80_000) as i64,
        fertility_treatment_since: rng.chance(5).then(|| rng.date(2023, 2)),
        wants_home_services: rng.chance(30),
    }
}

fn family(rng: &mut Rng, district: &str) -> FamilyFacts {
    let bereaved = rng.chance(70);
    let mut parents = vec![parent(rng, Role::Mother), parent(rng, Role::Father)];
    if rng.chance(10) {
        parents.pop();
    }
    FamilyFacts {
        kind: if bereaved {
            Kind::Bereaved
        } else {
            Kind::Disabled
        },
        hukou_district: if rng.chance(95) {
            district.to_string()
        } else {
            "other".to_string()
        },
        child: if bereaved {
            Child::Deceased {
                died_on: rng.date(2000, 26),
            }
        } else {
            Child::Disabled {
                disability_grade: 1 + rng.below(4) as u8,
                certified_on: Some(rng.date(2000, 26)),
            }
        },
        parents,
        household: Household {
            monthly_income_per_capita_cny: 800 + rng.below(4000) as i64,
            prior_year_total_income_cny: 10_000 + rng.below(90_000) as i64,
        },
        rebirth: Rebirth {
            assisted_reproduction_birth_on: rng.chance(3).then(|| rng.date(2019, 7)),
        },
    }
}

fn measure(
    name: &str,
    seconds: f64,
    families: &[FamilyFacts],
    mut f: impl FnMut(&FamilyFacts) -> usize,
) {
    // warm-up
    let mut sink = 0usize;
    for fam in families.iter().take(2_000) {
        sink = sink.wrapping_add(f(fam));
    }
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for fam in families {
            sink = sink.wrapping_add(f(fam));
        }
        n += families.len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    black_box(sink);
    println!(
        "{name:<44} {:>12.0} families/s  ({:.3} µs/family, {n} evaluations)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}

fn main() {
    let seconds: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3.0);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants");
    let as_of = NaiveDate::from_ymd_opt(2025, 6, 15).unwrap_or_default();
    for slug in ["zhangdian", "xicheng"] {
        let path = format!("{root}/{slug}/policy.yaml");
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let policy = match Policy::parse(&path, &src) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ slug.len() as u64);
        let families: Vec<FamilyFacts> = (0..10_000).map(|_| family(&mut rng, slug)).collect();
        let (mut granted, mut missed) = (0usize, 0usize);
        for f in &families {
            let e = evaluate(&policy, f, as_of);
            granted += e.entitlements.len();
            missed += e.missed.len();
        }
        println!(
            "{slug}: {} programs, 10000 synthetic families, {:.1} entitlements and {:.1} misses per family",
            policy.programs().len(),
            granted as f64 / 1e4,
            missed as f64 / 1e4
        );
        measure(&format!("{slug} evaluate()"), seconds, &families, |f| {
            evaluate(&policy, f, as_of).entitlements.len()
        });
        let mut buf = Evaluation::default();
        measure(
            &format!("{slug} evaluate_into() (reused buffers)"),
            seconds,
            &families,
            |f| {
                evaluate_into(&policy, f, as_of, &mut buf);
                buf.entitlements.len()
            },
        );
        measure(
            &format!("{slug} evaluate_with(ENTITLEMENTS_ONLY)"),
            seconds,
            &families,
            |f| {
                evaluate_with(&policy, f, as_of, Detail::ENTITLEMENTS_ONLY, &mut buf);
                buf.entitlements.len()
            },
        );
        measure(
            &format!("{slug} evaluate() + render JSON"),
            seconds / 3.0,
            &families[..2_000],
            |f| {
                let e = evaluate(&policy, f, as_of);
                e.to_explained_json(slug, as_of).to_string().len()
            },
        );
    }
}
