//! `nuanxin checkins sweep`: the check-in sweep once, as of a time, for operators and tests.

use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use clap::Subcommand;
use nuanxin_db::pool::build_pool;
use serde_json::json;

use super::{print_json, CliResult};
use crate::configuration::Settings;
use crate::onboarding::{load_districts, tenants_dir};

/// The check-in commands.
#[derive(Subcommand)]
pub enum CheckinsCommand {
    /// Run the sweep once as of TIME and print what it raised: `{"raised": [{"pairing_id", "level"}, …]}`.
    /// Run twice for the same TIME, the second raises nothing (each step has its unique key).
    Sweep {
        #[arg(long)]
        tenant: String,
        /// RFC 3339, e.g. 2026-12-02T10:31:00+08:00; now when absent.
        #[arg(long)]
        at: Option<DateTime<FixedOffset>>,
    },
}

pub async fn run(settings: &Settings, command: CheckinsCommand) -> CliResult {
    match command {
        CheckinsCommand::Sweep { tenant, at } => {
            let pool = build_pool(&settings.app_database_url(), 2)?;
            let district = load_districts(&pool, &tenants_dir(&settings.application.tenants_dir))
                .await?
                .into_iter()
                .find(|d| d.slug == tenant)
                .ok_or_else(|| format!("district '{tenant}' is not onboarded"))?;
            let now = at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
            let report = crate::checkins::sweep::sweep(&pool, &district, now).await?;
            print_json(&json!({
                "tenant": district.slug,
                "at": now,
                "raised": report.raised,
                "cleared": report.cleared,
                "silenced": report.silenced,
                "mails": report.mails,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
