//! Benchmark (not a test): generating a benefit cycle over a synthetic register of N families,
//! database writes included, with the time and the peak resident memory of the generation alone.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-benefits cargo bench -p nuanxin --bench benefit_cycle -- 10000 100000
//! ```
//! Each size gets a fresh database `nuanxin_bench_cycle_<N>` on `BENCH_PG` (default
//! postgres://postgres@127.0.0.1:5432), migrated and onboarded with Xicheng's policy; the families are
//! encrypted and bulk-inserted directly (not timed). The peak RSS is reset (`/proc/self/clear_refs`)
//! after seeding, so it measures the generation: flat memory means the register is streamed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use nuanxin::audit::Actor;
use nuanxin::benefits::{Access, Standalone};
use nuanxin::configuration::settings_from;
use nuanxin::registry::{Codec, Meta};
use nuanxin::state::Keys;
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::pool::{build_pool, TenantTx};
use nuanxin_domain::family::{
    Care, Child, Contact, ContactCategory, Family, FamilyKind, Household, Parent, ParentRole,
    Rebirth, SelfCare,
};
use nuanxin_domain::org::OrgKind;
use nuanxin_privacy::{check_digit, ResidentId};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn resident_id(birth: NaiveDate, order: u32, female: bool) -> BenchResult<ResidentId> {
    let first17 = format!(
        "990101{}{:03}",
        birth.format("%Y%m%d"),
        order * 2 + u32::from(!female)
    );
    let check = check_digit(&first17).ok_or("check digit")?;
    Ok(ResidentId::parse(&format!("{first17}{check}"))?)
}

/// Family `i`: (birth day, order) is unique up to 11,000 × 500 families; 70 % bereaved, 10 % widowed,
/// 5 % with hukou elsewhere, ages 46–80, varied income and self-care.
fn family(
    i: u32,
    streets: &[(nuanxin_ids::OrgUnitId, Vec<nuanxin_ids::OrgUnitId>)],
) -> BenchResult<Family> {
    let base = NaiveDate::from_ymd_opt(1946, 1, 1).ok_or("date")?;
    let mother_birth = base + Duration::days(i64::from(i % 11_000));
    let father_birth = mother_birth - Duration::days(700);
    let order = i / 11_000;
    let (street, communities) = &streets[i as usize % streets.len()];
    let parent = |role, birth, female, alive| -> BenchResult<Parent> {
        Ok(Parent {
            role,
            name: format!("基准{i}"),
            resident_id: resident_id(birth, order, female)?,
            phone: None,
            birth_date: birth,
            alive,
            self_care: [SelfCare::Full, SelfCare::Partial, SelfCare::None][(i % 3) as usize],
            sanwu: i.is_multiple_of(50),
            care: if i.is_multiple_of(10) {
                Care::NursingHome
            } else {
                Care::Home
            },
            nursing_home_in_district: i.is_multiple_of(20),
            major_illness_hospitalized_on: None,
            out_of_pocket_medical_cny: 0,
            fertility_treatment_since: None,
            wants_home_services: i.is_multiple_of(4),
            bank_account: None,
        })
    };
    let bereaved = i % 10 < 7;
    Ok(Family {
        kind: if bereaved {
            FamilyKind::Bereaved
        } else {
            FamilyKind::Disabled
        },
        hukou_district: if i.is_multiple_of(20) {
            "elsewhere".into()
        } else {
            "xicheng".into()
        },
        street_id: *street,
        community_id: communities[(i as usize / streets.len()) % communities.len()],
        address: format!("基准路{i}号"),
        coordinates: None,
        child: if bereaved {
            Child::Deceased {
                died_on: NaiveDate::from_ymd_opt(2000 + (i % 25) as i32, 3, 1).ok_or("date")?,
            }
        } else {
            Child::Disabled {
                disability_grade: 1 + (i % 3) as i16,
                certified_on: NaiveDate::from_ymd_opt(2010, 5, 10).ok_or("date")?,
            }
        },
        parents: vec![
            parent(ParentRole::Mother, mother_birth, true, true)?,
            parent(
                ParentRole::Father,
                father_birth,
                false,
                !i.is_multiple_of(10),
            )?,
        ],
        household: Household {
            monthly_income_per_capita_cny: i64::from(1000 + (i * 37) % 3000),
            prior_year_total_income_cny: i64::from(20_000 + (i * 53) % 40_000),
        },
        rebirth: Rebirth::default(),
        contacts: vec![Contact {
            name: "网格员".into(),
            category: ContactCategory::GridWorker,
            phone: None,
        }],
    })
}

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn bench(server: &str, n: u32) -> BenchResult<()> {
    let database = format!("nuanxin_bench_cycle_{n}");
    let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres")).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    let vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), format!("{server}/{database}")),
        (
            "NUANXIN__APPLICATION__TENANTS_DIR".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../tenants").into(),
        ),
    ]);
    let settings = settings_from(vars.into_iter())?;
    nuanxin::cli::migrate(&settings).await?;
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let dir = nuanxin::onboarding::tenants_dir(&settings.application.tenants_dir);
    nuanxin::onboarding::onboard(&pool, &dir, "xicheng", None).await?;
    let district = nuanxin::onboarding::load_districts(&pool, &dir)
        .await?
        .into_iter()
        .find(|d| d.slug == "xicheng")
        .ok_or("xicheng not onboarded")?;
    let streets: Vec<_> = district
        .orgs
        .of_kind(OrgKind::Street)
        .map(|s| {
            let communities = district
                .orgs
                .of_kind(OrgKind::Community)
                .filter(|c| c.parent_id == Some(s.id))
                .map(|c| c.id)
                .collect();
            (s.id, communities)
        })
        .collect();
    let access: Access = Arc::new(Standalone {
        pool,
        keys: Keys::from_settings(&settings),
    });

    let seeding = Instant::now();
    let codec = Codec::new(access.keys(), district.id);
    for start in (0..n).step_by(5000) {
        let records = (start..(start + 5000).min(n))
            .map(|i| {
                Ok(codec.encode(
                    nuanxin_ids::FamilyId::generate(),
                    &family(i, &streets)?,
                    Meta::new(Utc::now()),
                )?)
            })
            .collect::<BenchResult<Vec<FamilyRecord>>>()?;
        let mut tx = TenantTx::begin(access.pool(), district.id).await?;
        FamilyRecord::insert_many(&mut tx, &records).await?;
        tx.commit().await?;
    }
    diesel::sql_query("ANALYZE")
        .execute(&mut AsyncPgConnection::establish(&format!("{server}/{database}")).await?)
        .await?;
    let seeded = seeding.elapsed();

    let actor = Actor {
        user_id: nuanxin_ids::UserId::SYSTEM,
        name: "bench".into(),
        actor: "system:bench".into(),
        request_id: None,
    };
    // Resets the peak RSS (VmHWM) so that it measures the generation, not the seeding.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let rss_before = status_kb("VmRSS:");
    let started = Instant::now();
    let first = nuanxin::benefits::cycle::generate(
        access.clone(),
        &district,
        &actor,
        "health_check",
        "2026",
        None,
    )
    .await?;
    let generate = started.elapsed();
    let peak = status_kb("VmHWM:");
    let started = Instant::now();
    let again = nuanxin::benefits::cycle::generate(
        access.clone(),
        &district,
        &actor,
        "health_check",
        "2026",
        None,
    )
    .await?;
    let regenerate = started.elapsed();
    let started = Instant::now();
    let forecast = nuanxin::benefits::forecast::forecast(access.clone(), &district, 2027).await?;
    let forecast_time = started.elapsed();
    let peak_all = status_kb("VmHWM:");
    println!(
        "{n:>7} families (seeded in {:.1} s): generate {:.2} s ({} entries; {:.0} families/s), \
         regenerate {:.2} s ({} new), forecast 2027 {:.2} s (total {} yuan); \
         RSS before {} MB, peak during generation {} MB, peak after forecast {} MB",
        seeded.as_secs_f64(),
        generate.as_secs_f64(),
        first.proposed,
        f64::from(n) / generate.as_secs_f64(),
        regenerate.as_secs_f64(),
        again.proposed,
        forecast_time.as_secs_f64(),
        forecast.forecast.total_cny,
        rss_before / 1024,
        peak / 1024,
        peak_all / 1024,
    );
    drop(access);
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    nuanxin::telemetry::init(false);
    let server =
        std::env::var("BENCH_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let sizes: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    for n in sizes {
        bench(&server, n).await?;
    }
    Ok(())
}
