//! `nuanxin policy forecast`, `nuanxin policy impact` and `nuanxin benefits generate`: the same
//! computations as the API, over the database, printed as JSON.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use nuanxin_db::pool::build_pool;

use super::forecast::PolicyChange;
use super::{Access, Standalone};
use crate::audit::Actor;
use crate::configuration::Settings;
use crate::onboarding::{load_districts, tenants_dir};
use crate::state::{District, Keys};

type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

async fn open(
    settings: &Settings,
    slug: &str,
) -> Result<(Access, District), Box<dyn std::error::Error>> {
    let pool = build_pool(&settings.app_database_url(), 4)?;
    let district = load_districts(&pool, &tenants_dir(&settings.application.tenants_dir))
        .await?
        .into_iter()
        .find(|d| d.slug == slug)
        .ok_or_else(|| format!("district '{slug}' is not onboarded"))?;
    let access: Access = Arc::new(Standalone {
        pool,
        keys: Keys::from_settings(settings),
    });
    Ok((access, district))
}

fn print(value: &impl serde::Serialize) -> CliResult {
    crate::cli::print_json(value)?;
    Ok(ExitCode::SUCCESS)
}

/// `nuanxin policy forecast --tenant SLUG --year YEAR`.
pub async fn forecast(settings: &Settings, slug: &str, year: i32) -> CliResult {
    let (access, district) = open(settings, slug).await?;
    print(&super::forecast::forecast(access, &district, year).await?)
}

/// `nuanxin policy impact --tenant SLUG --as-of DATE NEW_POLICY.yaml`.
pub async fn impact(settings: &Settings, slug: &str, as_of: NaiveDate, file: &Path) -> CliResult {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (access, district) = open(settings, slug).await?;
    let current = district
        .policy
        .clone()
        .ok_or("the district has no policy")?;
    let after = PolicyChange::Yaml(text)
        .apply(&current)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    print(&super::forecast::impact(access, &district, after, as_of).await?)
}

/// `nuanxin benefits generate --tenant SLUG --program CODE --period KEY [--as-of DATE]`.
pub async fn generate(
    settings: &Settings,
    slug: &str,
    program: &str,
    period: &str,
    as_of: Option<NaiveDate>,
) -> CliResult {
    let (access, district) = open(settings, slug).await?;
    let actor = Actor {
        user_id: nuanxin_ids::UserId::SYSTEM,
        name: "命令行".into(),
        actor: "system:cli".into(),
        request_id: None,
    };
    print(&super::cycle::generate(access, &district, &actor, program, period, as_of).await?)
}

/// `nuanxin benefits newly-eligible --tenant SLUG [--on DATE]`: runs the job now for one date.
pub async fn newly_eligible(settings: &Settings, slug: &str, on: Option<NaiveDate>) -> CliResult {
    let (access, district) = open(settings, slug).await?;
    let on = on.unwrap_or_else(|| district.today());
    print(&super::newly_eligible::run(access, &district, on).await?)
}
