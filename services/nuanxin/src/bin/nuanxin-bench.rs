//! Registry benchmarks against a real PostgreSQL (not tests: numbers, not assertions).
//!
//! `nuanxin-bench registry [FAMILIES]` creates the database `nuanxin_bench` (or DATABASE_URL), onboards
//! Xicheng, imports a 10,000-row xlsx through the same code as `POST /families/import`, fills the register up
//! to FAMILIES (default 100,000) and times the list filters.
//!
//! `nuanxin-bench sharing FAMILIES OUT_FILE` (issue 12) fills Xicheng's register to FAMILIES, has 区卫生局
//! request every family (masked names, IDs and phones, pseudonyms), times the steward's approval and the
//! peak memory it adds, reads the release in pages against the register's own list, and writes OUT_FILE
//! (one registered parent's resident ID a line) for the verification benchmark under wrk.
//!
//! `nuanxin-bench platform DISTRICTS FAMILIES_EACH DIR` builds a platform of many districts (the size of
//! real registers: 100 × 2,000): DISTRICTS copies of Xicheng's folder as `bench-001`… under `DIR/tenants`,
//! onboarded with their demo accounts and filled with FAMILIES_EACH families each, and writes
//! `DIR/families.txt` (one `slug id` line per family) for the random-read benchmark. See README
//! "Benchmarks".
//!
//! `nuanxin-bench visits [FAMILIES]` onboards Zhangdian in `nuanxin_bench_visits` (or DATABASE_URL),
//! fills its register to FAMILIES (default 100,000; half bereaved, spread over every street), gives every
//! tenth family a contact logged and times generating the Mid-Autumn 2025 campaign (the holiday cycle on
//! the festival's date, the campaign's families, the contact persons' mail), for the dashboard's load test.
//!
//! `nuanxin-bench tasks [TASKS] [VOLUNTEERS]` (issue 10) onboards Xicheng in `nuanxin_bench_tasks` (or
//! DATABASE_URL) with 2,000 families placed over the district, VOLUNTEERS (default 20,000) volunteers of its
//! social organizations and independent ones (two or three of the eight skills, one in ten qualified, three
//! weekly days, some no-shows) and TASKS (default 5,000) open tasks over the coming week, for
//! `nuanxin matching run --tenant xicheng` to be timed on (deploy/bench-tasks.sh).

use nuanxin_ids::OrgUnitId;
use std::time::{Duration, Instant};

use chrono::Utc;
use nuanxin::audit::Actor;
use nuanxin::configuration::settings_from;
use nuanxin::onboarding::{load_districts, onboard, tenants_dir, DemoAccounts};
use nuanxin::registry::Registry;
use nuanxin::state::District;
use nuanxin::state::Keys;
use nuanxin_db::models::family::{FamilyFilter, FamilyRecord, Scope};
use nuanxin_db::pool::{build_pool, DbPool, TenantTx};
use nuanxin_domain::family::FamilyStatus;
use nuanxin_domain::org::OrgKind;
use nuanxin_privacy::check_digit;
use secrecy::ExposeSecret;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn resident_id(serial: u32, birth: &str, female: bool) -> String {
    let order = (serial % 500) * 2 + u32::from(!female);
    let first17 = format!("99{:04}{birth}{:03}", serial / 500 % 10_000, order);
    format!("{first17}{}", check_digit(&first17).unwrap_or('0'))
}

/// One spreadsheet row in the import layout, for family number `serial` on `street`/`community`.
fn row(serial: u32, street: &str, community: &str) -> Vec<String> {
    let year = 1946 + serial % 40;
    let birth = format!("{year}{:02}{:02}", 1 + serial % 12, 1 + serial % 28);
    let father_birth = format!("{}{:02}{:02}", year - 2, 1 + serial % 12, 1 + serial % 28);
    vec![
        if serial % 4 == 3 { "残疾" } else { "失独" }.into(),
        street.into(),
        community.into(),
        format!("基准测试路{serial}号"),
        if serial % 4 == 3 {
            String::new()
        } else {
            "2019-04-05".into()
        },
        if serial % 4 == 3 {
            "2".into()
        } else {
            String::new()
        },
        if serial % 4 == 3 {
            "2020-06-01".into()
        } else {
            String::new()
        },
        format!("{}", 1000 + serial % 3000),
        "30000".into(),
        format!("测试母亲{serial}"),
        resident_id(serial, &birth, true),
        format!("1990000{:04}", serial % 10_000),
        format!("测试父亲{serial}"),
        resident_id(serial, &father_birth, false),
        "联系人甲".into(),
        "网格员".into(),
        "联系人乙".into(),
        "家庭医生".into(),
        "联系人丙".into(),
        "志愿者".into(),
    ]
}

const HEADERS: [&str; 20] = [
    "家庭类别",
    "街道（镇）",
    "社区（村）",
    "住址",
    "子女死亡日期",
    "子女残疾等级",
    "残疾鉴定日期",
    "家庭月人均收入",
    "上年家庭总收入",
    "母亲姓名",
    "母亲身份证号",
    "母亲电话",
    "父亲姓名",
    "父亲身份证号",
    "联系人1姓名",
    "联系人1类别",
    "联系人2姓名",
    "联系人2类别",
    "联系人3姓名",
    "联系人3类别",
];

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let number =
        |i: usize, default: u32| args.get(i).and_then(|n| n.parse().ok()).unwrap_or(default);
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    if !vars.iter().any(|(k, _)| k == "DATABASE_URL") {
        vars.push((
            "DATABASE_URL".into(),
            "postgres://postgres@127.0.0.1:5432/nuanxin_bench".into(),
        ));
    }
    match args.get(1).map(String::as_str) {
        Some("registry") => registry(vars, number(2, 100_000)).await,
        Some("visits") => visits(vars, number(2, 100_000)).await,
        Some("tasks") => tasks(vars, number(2, 5_000), number(3, 20_000)).await,
        Some("sharing") => {
            let out = args.get(3).ok_or("sharing FAMILIES OUT_FILE")?;
            sharing(vars, number(2, 100_000), out.as_ref()).await
        }
        Some("platform") => {
            let dir = args.get(4).ok_or("platform DISTRICTS FAMILIES_EACH DIR")?;
            platform(vars, number(2, 100), number(3, 2_000), dir.as_ref()).await
        }
        _ => {
            eprintln!(
                "usage: nuanxin-bench registry [FAMILIES] | sharing FAMILIES OUT_FILE | platform DISTRICTS FAMILIES_EACH DIR | visits [FAMILIES] | tasks [TASKS] [VOLUNTEERS]"
            );
            std::process::exit(2);
        }
    }
}

/// How many families the district's register holds.
async fn register_size(pool: &DbPool, tenant: nuanxin_ids::TenantId) -> Result<i64> {
    let mut tx = TenantTx::begin(pool, tenant).await?;
    let n = FamilyRecord::count(&mut tx, Scope::District, &FamilyFilter::default()).await?;
    tx.commit().await?;
    Ok(n)
}

fn bench_actor() -> Actor {
    Actor {
        user_id: nuanxin_ids::UserId::SYSTEM,
        name: "基准测试".into(),
        actor: "system:bench".into(),
        request_id: None,
    }
}

/// Street and community names of family number `serial`, spread over the district's streets.
fn place(district: &District, serial: u32) -> (String, String) {
    let streets: Vec<_> = district.orgs.of_kind(OrgKind::Street).collect();
    let street = streets[serial as usize % streets.len()];
    let community = district
        .orgs
        .units()
        .iter()
        .find(|u| u.parent_id == Some(street.id))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    (street.name.clone(), community)
}

/// Adds `count` families numbered from `serial` to the district through the registry's own encoder, in
/// batches of 5,000; returns their ids.
async fn fill(
    pool: &DbPool,
    registry: &Registry<'_>,
    count: u32,
    mut serial: u32,
) -> Result<Vec<nuanxin_ids::FamilyId>> {
    let district = registry.district;
    let mut ids = Vec::with_capacity(count as usize);
    let mut left = count;
    while left > 0 {
        let batch = left.min(5_000);
        let mut records = Vec::with_capacity(batch as usize);
        for _ in 0..batch {
            let (s, c) = place(district, serial);
            let r = row(serial, &s, &c);
            let input = serde_json::json!({
                "kind": if r[0] == "失独" { "bereaved" } else { "disabled" }, "hukou_district": district.slug,
                "street": s, "community": c, "address": r[3],
                "child": if r[0] == "失独" { serde_json::json!({"status": "deceased", "died_on": "2019-04-05"}) }
                         else { serde_json::json!({"status": "disabled", "disability_grade": 2, "certified_on": "2020-06-01"}) },
                "parents": [{"role": "mother", "name": r[9], "resident_id": r[10], "phone": r[11]},
                            {"role": "father", "name": r[12], "resident_id": r[13]}],
                "household": {"monthly_income_per_capita_cny": 1000 + serial % 3000, "prior_year_total_income_cny": 30000},
                "contacts": [{"name": "甲", "category": "grid_worker"}, {"name": "乙", "category": "family_doctor"}, {"name": "丙", "category": "volunteer"}]
            });
            let family = serde_json::from_value::<nuanxin_domain::family::FamilyInput>(input)?
                .validate(&district.orgs, &district.hukou_names, district.today())
                .map_err(|e| e.to_string())?;
            let id = nuanxin_ids::FamilyId::generate();
            let mut record =
                registry
                    .codec
                    .encode(id, &family, nuanxin::registry::Meta::new(Utc::now()))?;
            record.family.created_at -= chrono::Duration::seconds(i64::from(serial));
            records.push(record);
            ids.push(id);
            serial += 1;
        }
        let mut tx = TenantTx::begin(pool, district.id).await?;
        FamilyRecord::insert_many(&mut tx, &records).await?;
        tx.commit().await?;
        left -= batch;
    }
    Ok(ids)
}

/// Vacuums the register as autovacuum would within a minute or two of a large insert (migration
/// `register_vacuum`): statistics current and the visibility map set (only the owner may vacuum).
async fn vacuum(settings: &nuanxin::configuration::Settings) -> Result<()> {
    let mut owner = <nuanxin_db::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
        settings.database.url.expose_secret(),
    )
    .await?;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("VACUUM (ANALYZE) families, family_members"),
        &mut owner,
    )
    .await?;
    Ok(())
}

async fn platform(
    vars: Vec<(String, String)>,
    districts: u32,
    each: u32,
    dir: &std::path::Path,
) -> Result<()> {
    let tenants = dir.join("tenants");
    let source = tenants_dir(std::path::Path::new("tenants")).join("xicheng");
    let manifest = std::fs::read_to_string(source.join("tenant.yaml"))?;
    let policy = std::fs::read_to_string(source.join("policy.yaml"))?;
    let slugs: Vec<String> = (1..=districts).map(|i| format!("bench-{i:03}")).collect();
    for (i, slug) in slugs.iter().enumerate() {
        let folder = tenants.join(slug);
        std::fs::create_dir_all(&folder)?;
        let text = manifest
            .replacen("slug: xicheng", &format!("slug: {slug}"), 1)
            .replacen(
                "name: 北京市西城区",
                &format!("name: 基准测试{}区", i + 1),
                1,
            )
            .replace("@xicheng.nuanxin.local", &format!("@{slug}.nuanxin.local"));
        std::fs::write(folder.join("tenant.yaml"), text)?;
        std::fs::write(folder.join("policy.yaml"), &policy)?;
    }
    let mut vars = vars;
    vars.push((
        "NUANXIN__APPLICATION__TENANTS_DIR".into(),
        tenants.to_string_lossy().into_owned(),
    ));
    let settings = settings_from(vars.into_iter())?;
    nuanxin::cli::migrate(&settings).await?;
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let password = settings
        .application
        .demo_password
        .expose_secret()
        .to_owned();
    let started = Instant::now();
    for slug in &slugs {
        onboard(
            &pool,
            &tenants,
            slug,
            Some(&DemoAccounts {
                password: &password,
            }),
        )
        .await?;
    }
    let keys = Keys::from_settings(&settings);
    let mut lines = String::new();
    for district in load_districts(&pool, &tenants).await? {
        let registry = Registry::new(&district, &keys);
        let ids = if register_size(&pool, district.id).await? == 0 {
            fill(&pool, &registry, each, 1_000_000).await?
        } else {
            let mut tx = TenantTx::begin(&pool, district.id).await?;
            let filter = FamilyFilter::default();
            let ids = FamilyRecord::all(&mut tx, Scope::District, &filter)
                .await?
                .into_iter()
                .map(|r| r.family.id)
                .collect();
            tx.commit().await?;
            ids
        };
        for id in ids {
            lines.push_str(&format!("{} {id}\n", district.slug));
        }
    }
    std::fs::write(dir.join("families.txt"), lines)?;
    vacuum(&settings).await?;
    println!(
        "platform: {districts} districts × {each} families ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn registry(vars: Vec<(String, String)>, target: u32) -> Result<()> {
    let settings = settings_from(vars.into_iter())?;
    nuanxin::cli::migrate(&settings).await?;
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let dir = tenants_dir(&settings.application.tenants_dir);
    let password = settings
        .application
        .demo_password
        .expose_secret()
        .to_owned();
    onboard(
        &pool,
        &dir,
        "xicheng",
        Some(&DemoAccounts {
            password: &password,
        }),
    )
    .await?;
    let district = load_districts(&pool, &dir)
        .await?
        .into_iter()
        .find(|d| d.slug == "xicheng")
        .ok_or("xicheng")?;
    let keys = Keys::from_settings(&settings);
    let registry = Registry::new(&district, &keys);
    let actor = bench_actor();
    let streets: Vec<_> = district.orgs.of_kind(OrgKind::Street).collect();

    let existing = u32::try_from(register_size(&pool, district.id).await?)?;
    let base = existing + 1_000_000;

    // 1. A 10,000-row spreadsheet through the import path (parse, validate, encrypt, insert, history, audit).
    let rows: Vec<Vec<String>> = (0..10_000)
        .map(|i| {
            let (s, c) = place(&district, base + i);
            row(base + i, &s, &c)
        })
        .collect();
    let xlsx = nuanxin_sheets::write_xlsx("登记", &HEADERS, rows)?;
    let started = Instant::now();
    let mut tx = TenantTx::begin(&pool, district.id).await?;
    let imported = registry
        .import(&mut tx, &actor, &xlsx, Scope::District)
        .await
        .map_err(|e| format!("{e:?}"))?;
    tx.commit().await?;
    println!(
        "import: {imported} rows from a {} KiB xlsx in {:.2} s",
        xlsx.len() / 1024,
        started.elapsed().as_secs_f64()
    );

    // 2. Fill the register to the target size through the same encoder (batches of 5,000).
    let started = Instant::now();
    let total = existing + imported as u32;
    let added = target.saturating_sub(total);
    fill(&pool, &registry, added, base + 10_000).await?;
    println!(
        "seed: register now {} families (filled in {:.1} s)",
        total + added,
        started.elapsed().as_secs_f64()
    );
    vacuum(&settings).await?;

    // 3. The list filters, 200 times each, as `GET /families` runs them (count + page + parents).
    let street = streets[1].id;
    let today = district.today();
    let filters: Vec<(&str, Scope, FamilyFilter)> = vec![
        (
            "district, first page",
            Scope::District,
            FamilyFilter {
                status: Some(FamilyStatus::Active),
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "street scope",
            Scope::Street(street),
            FamilyFilter {
                status: Some(FamilyStatus::Active),
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "kind=disabled, page 20",
            Scope::District,
            FamilyFilter {
                kind: Some(nuanxin_domain::family::FamilyKind::Disabled),
                status: Some(FamilyStatus::Active),
                limit: 50,
                offset: 950,
                ..Default::default()
            },
        ),
        (
            "age 60-69",
            Scope::District,
            FamilyFilter {
                status: Some(FamilyStatus::Active),
                parent_born_on_or_before: today.checked_sub_months(chrono::Months::new(60 * 12)),
                parent_born_after: today.checked_sub_months(chrono::Months::new(70 * 12)),
                limit: 50,
                ..Default::default()
            },
        ),
    ];
    for (name, scope, filter) in filters {
        let mut samples = Vec::with_capacity(200);
        let mut found = 0;
        for _ in 0..200 {
            let started = Instant::now();
            let mut tx = TenantTx::begin(&pool, district.id).await?;
            let (page, count) = registry
                .list(&mut tx, scope, &filter, None)
                .await
                .map_err(|e| format!("{e:?}"))?;
            tx.commit().await?;
            samples.push(started.elapsed());
            found = count;
            std::hint::black_box(page);
        }
        println!(
            "list {name}: {found} matches, p50 {:.1} ms, p99 {:.1} ms",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.99)
        );
    }
    Ok(())
}

/// The process's resident and peak resident memory in KiB (`/proc/self/status`).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn sharing(vars: Vec<(String, String)>, target: u32, out: &std::path::Path) -> Result<()> {
    use nuanxin::benefits::{Access, Standalone};
    use nuanxin_db::models::sharing::records_page;
    use std::sync::Arc;

    let settings = settings_from(vars.into_iter())?;
    nuanxin::cli::migrate(&settings).await?;
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let dir = tenants_dir(&settings.application.tenants_dir);
    let password = settings
        .application
        .demo_password
        .expose_secret()
        .to_owned();
    onboard(
        &pool,
        &dir,
        "xicheng",
        Some(&DemoAccounts {
            password: &password,
        }),
    )
    .await?;
    let district = Arc::new(
        load_districts(&pool, &dir)
            .await?
            .into_iter()
            .find(|d| d.slug == "xicheng")
            .ok_or("xicheng")?,
    );
    let keys = Keys::from_settings(&settings);
    let registry = Registry::new(&district, &keys);
    let existing = u32::try_from(register_size(&pool, district.id).await?)?;
    if existing < target {
        fill(&pool, &registry, target - existing, existing + 2_000_000).await?;
        vacuum(&settings).await?;
    }
    let families = register_size(&pool, district.id).await?;

    // 区卫生局 asks for every family: masked names, IDs and phones, the street and self-care.
    let mut tx = TenantTx::begin(&pool, district.id).await?;
    let health = nuanxin_db::models::user::User::by_username(&mut tx, "health")
        .await?
        .ok_or("the demo account `health`")?;
    tx.commit().await?;
    let requester = Actor {
        user_id: health.id,
        ..bench_actor()
    };
    let request = nuanxin::sharing::requests::create(
        &pool,
        &district,
        &requester,
        health.org_unit_id,
        nuanxin_sharing::Request {
            purpose: "健康体检与就医绿色通道".into(),
            fields: [
                "street",
                "community",
                "parent.name",
                "parent.resident_id",
                "parent.phone",
                "parent.self_care",
            ]
            .map(String::from)
            .to_vec(),
            filter: Vec::new(),
            days: 30,
        },
    )
    .await?;
    let access: Access = Arc::new(Standalone {
        pool: pool.clone(),
        keys: Keys::from_settings(&settings),
    });
    // The peak is measured from here: the fill above is not the approval's.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let (rss_before, _) = memory_kib();
    let started = Instant::now();
    let approved =
        nuanxin::sharing::release::approve(access, &district, &bench_actor(), request.id).await?;
    let took = started.elapsed().as_secs_f64();
    let (rss_after, peak) = memory_kib();
    println!(
        "approve: {} of {families} families released in {took:.2} s; memory {} MiB before, peak {} MiB (+{} MiB), {} MiB after",
        approved.families,
        rss_before / 1024,
        peak / 1024,
        peak.saturating_sub(rss_before) / 1024,
        rss_after / 1024
    );

    // Reading it: keyset pages of 100 decrypted records, against the register's list (pages of 50).
    let (tenant, release) = (district.id.to_string(), approved.release_id.to_string());
    let started = Instant::now();
    let (mut after, mut read) = (0, 0u64);
    loop {
        let mut tx = TenantTx::begin(&pool, district.id).await?;
        let page = records_page(&mut tx, approved.release_id, after, 100).await?;
        tx.commit().await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (_, family, blob) in &page {
            let plain = keys.cipher.decrypt(
                blob,
                &nuanxin::sharing::release::record_aad(&tenant, &release, &family.to_string()),
            )?;
            std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&plain)?);
            read += 1;
        }
    }
    let release_rate = read as f64 / started.elapsed().as_secs_f64();
    let filter = FamilyFilter {
        status: Some(FamilyStatus::Active),
        limit: 50,
        ..Default::default()
    };
    let started = Instant::now();
    let mut listed = 0u64;
    for page in 0..200 {
        let mut tx = TenantTx::begin(&pool, district.id).await?;
        let (rows, _) = registry
            .list(
                &mut tx,
                Scope::District,
                &FamilyFilter {
                    offset: page * 50,
                    ..filter.clone()
                },
                Some(families),
            )
            .await
            .map_err(|e| format!("{e:?}"))?;
        tx.commit().await?;
        listed += rows.len() as u64;
    }
    let list_rate = listed as f64 / started.elapsed().as_secs_f64();
    println!(
        "read: the release's {read} records in pages of 100 at {release_rate:.0} records/s; the register's list (pages of 50, first 200 pages) at {list_rate:.0} families/s ({:.1}×)",
        release_rate / list_rate
    );

    // Residents to verify: the registered parents of the first 20,000 families.
    let mut ids = String::new();
    let mut tx = TenantTx::begin(&pool, district.id).await?;
    let page = nuanxin_db::models::benefit::register_page(&mut tx, None, 20_000, true).await?;
    tx.commit().await?;
    for record in &page {
        let family = registry.codec.decode(record)?;
        for parent in &family.parents {
            ids.push_str(parent.resident_id.as_str());
            ids.push('\n');
        }
    }
    std::fs::write(out, ids)?;
    Ok(())
}

/// Migrates the benchmark's database (`default_db` unless DATABASE_URL is set), onboards the district
/// `slug` with its demo accounts and loads it.
async fn bench_district(
    mut vars: Vec<(String, String)>,
    default_db: &str,
    slug: &str,
) -> Result<(nuanxin::configuration::Settings, DbPool, District)> {
    if !std::env::vars().any(|(k, _)| k == "DATABASE_URL") {
        vars.retain(|(k, _)| k != "DATABASE_URL");
        vars.push((
            "DATABASE_URL".into(),
            format!("postgres://postgres@127.0.0.1:5432/{default_db}"),
        ));
    }
    let settings = settings_from(vars.into_iter())?;
    nuanxin::cli::migrate(&settings).await?;
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let dir = tenants_dir(&settings.application.tenants_dir);
    let password = settings
        .application
        .demo_password
        .expose_secret()
        .to_owned();
    onboard(
        &pool,
        &dir,
        slug,
        Some(&DemoAccounts {
            password: &password,
        }),
    )
    .await?;
    let district = load_districts(&pool, &dir)
        .await?
        .into_iter()
        .find(|d| d.slug == slug)
        .ok_or("the district was not onboarded")?;
    Ok((settings, pool, district))
}

async fn visits(vars: Vec<(String, String)>, target: u32) -> Result<()> {
    let (settings, pool, district) =
        bench_district(vars, "nuanxin_bench_visits", "zhangdian").await?;
    let keys = Keys::from_settings(&settings);
    let registry = Registry::new(&district, &keys);
    let existing = u32::try_from(register_size(&pool, district.id).await?)?;
    let started = Instant::now();
    let ids = fill(
        &pool,
        &registry,
        target.saturating_sub(existing),
        existing + 2_000_000,
    )
    .await?;
    // Every tenth family contacted yesterday: the dashboard's "contacted" counts something.
    let mut tx = TenantTx::begin(&pool, district.id).await?;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(
            "INSERT INTO contact_log (tenant_id, id, family_id, contacted_on, how, summary, recorded_by_id, recorded_by) \
             SELECT tenant_id, gen_random_uuid(), id, current_date - 1, 'call', '基准测试', id, '基准测试' \
             FROM families WHERE abs(hashtext(id::text)) % 10 = 0",
        ),
        &mut tx,
    )
    .await?;
    tx.commit().await?;
    println!(
        "seed: {} families added in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    vacuum(&settings).await?;
    let access: nuanxin::benefits::Access = std::sync::Arc::new(nuanxin::benefits::Standalone {
        pool: pool.clone(),
        keys,
    });
    let started = Instant::now();
    let (campaign, created) = nuanxin::visits::campaign::generate(
        access,
        &district,
        &bench_actor(),
        "holiday_visit_mid_autumn",
        2025,
    )
    .await?;
    println!(
        "campaign: {} families of {} in {:.2} s (new: {created})",
        campaign.families,
        register_size(&pool, district.id).await?,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Skill codes of Xicheng's matching.yaml, as the benchmark's volunteers and tasks use them.
const BENCH_SKILLS: &str =
    "ARRAY['day_patrol','hospital_escort','meal_delivery','psychological_comfort',\
    'legal_consultation','home_help','health_guidance','household_pairing']";

async fn tasks(vars: Vec<(String, String)>, tasks: u32, volunteers: u32) -> Result<()> {
    let (settings, pool, district) = bench_district(vars, "nuanxin_bench_tasks", "xicheng").await?;
    let keys = Keys::from_settings(&settings);
    let registry = Registry::new(&district, &keys);
    let started = Instant::now();
    let existing = u32::try_from(register_size(&pool, district.id).await?)?;
    fill(
        &pool,
        &registry,
        2_000u32.saturating_sub(existing),
        existing + 3_000_000,
    )
    .await?;
    let orgs: Vec<OrgUnitId> = district
        .orgs
        .of_kind(OrgKind::SocialOrg)
        .map(|u| u.id)
        .collect();
    let mut tx = TenantTx::begin(&pool, district.id).await?;
    // Xicheng is about 10 km × 12 km around (39.91, 116.37): households and homes spread over it
    // (deterministic, so runs compare).
    let spread = |key: &str, base: f64, span: f64| {
        format!("{base} + {span} * (abs(hashtext({key})) % 1000000) / 1e6")
    };
    let statements = [
        format!(
            "UPDATE families SET latitude = {}, longitude = {}",
            spread("id::text || 'lat'", 39.86, 0.10),
            spread("id::text || 'lon'", 116.31, 0.14)
        ),
        format!(
            "INSERT INTO volunteers (tenant_id, id, organization_id, name, skills, qualifications, latitude, \
               longitude, availability, weekly_max, preference, no_shows, created_by) \
             SELECT '{tenant}', gen_random_uuid(), \
               CASE WHEN g % 10 = 0 THEN NULL ELSE ($1::uuid[])[1 + g % cardinality($1::uuid[])] END, \
               '基准志愿者' || g, \
               (SELECT jsonb_agg(DISTINCT ({BENCH_SKILLS})[1 + abs(hashtext(g || 's' || k)) % 8]) \
                  FROM generate_series(1, 2 + g % 2) k), \
               CASE WHEN g % 10 = 3 THEN '[{{\"code\": \"counselor\"}}, {{\"code\": \"lawyer\"}}, \
                 {{\"code\": \"housekeeping\"}}]' ELSE '[]' END::jsonb, \
               {lat}, {lon}, \
               (SELECT jsonb_agg(jsonb_build_object('day', (ARRAY['mon','tue','wed','thu','fri','sat','sun'])\
                  [1 + abs(hashtext(g || 'd' || k)) % 7], 'from', '08:00', 'to', '18:00')) \
                  FROM generate_series(1, 3) k), \
               1 + g % 3, g % 4, (g % 20 = 0)::int, 'system:bench' \
             FROM generate_series(1, {volunteers}) g",
            tenant = district.id,
            lat = spread("g || 'lat'", 39.86, 0.10),
            lon = spread("g || 'lon'", 116.31, 0.14),
        ),
        format!(
            "INSERT INTO service_tasks (tenant_id, id, family_id, street_id, community_id, series_id, service, \
               starts_at, ends_at, place, by_phone, helpers_needed, urgency, contact_name, created_by) \
             SELECT f.tenant_id, x.id, f.id, f.street_id, f.community_id, x.id, x.service, x.starts, \
               x.starts + (1 + x.g % 2) * interval '1 hour', '基准测试地址', \
               x.service = 'psychological_comfort' AND x.g % 2 = 0, 1 + (x.g % 10 = 5)::int, \
               CASE WHEN x.g % 10 = 0 THEN 'urgent' ELSE 'normal' END, '基准测试', 'system:bench' \
             FROM (SELECT g, gen_random_uuid() AS id, \
                     ({BENCH_SKILLS})[1 + abs(hashtext(g || 'svc')) % 8] AS service, \
                     ((current_date + 1 + g % 7)::timestamp + (8 + g % 9) * interval '1 hour') \
                       AT TIME ZONE '{zone}' AS starts \
                   FROM generate_series(1, {tasks}) g) x \
             JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total, * \
                   FROM families) f ON f.n = x.g % f.total",
            zone = district.time_zone.name(),
        ),
    ];
    let [families, volunteers_sql, tasks_sql] = statements;
    diesel_async::RunQueryDsl::execute(diesel::sql_query(families), &mut tx).await?;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(volunteers_sql)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&orgs),
        &mut tx,
    )
    .await?;
    diesel_async::RunQueryDsl::execute(diesel::sql_query(tasks_sql), &mut tx).await?;
    tx.commit().await?;
    let mut owner = <nuanxin_db::AsyncPgConnection as diesel_async::AsyncConnection>::establish(
        settings.database.url.expose_secret(),
    )
    .await?;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query("VACUUM (ANALYZE) families, volunteers, service_tasks, task_offers"),
        &mut owner,
    )
    .await?;
    println!(
        "seed: {volunteers} volunteers and {tasks} open tasks over {} families in {:.1} s",
        register_size(&pool, district.id).await?,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
