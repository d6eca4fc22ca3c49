//! `nuanxin checkins sweep`: the check-in sweep once, as of a time, for operators and tests.

use std::process::ExitCode;

use chrono::{DateTime, FixedOffset, Utc};
use clap::Subcommand;
use futures_util::StreamExt;
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
        #[arg(long, required_unless_present = "all_districts")]
        tenant: Option<String>,
        /// Every onboarded district, a few at once as the service's job sweeps them (benchmarks); `tenant` is then
        /// the list of their slugs.
        #[arg(long, conflicts_with = "tenant")]
        all_districts: bool,
        /// RFC 3339, e.g. 2026-12-02T10:31:00+08:00; now when absent.
        #[arg(long)]
        at: Option<DateTime<FixedOffset>>,
    },
}

pub async fn run(settings: &Settings, command: CheckinsCommand) -> CliResult {
    match command {
        CheckinsCommand::Sweep {
            tenant,
            all_districts,
            at,
        } => {
            let at_once = crate::checkins::sweep::DISTRICTS_AT_ONCE;
            let pool = build_pool(&settings.app_database_url(), at_once + 1)?;
            let districts: Vec<_> =
                load_districts(&pool, &tenants_dir(&settings.application.tenants_dir))
                    .await?
                    .into_iter()
                    .filter(|d| all_districts || tenant.as_deref() == Some(d.slug.as_str()))
                    .collect();
            if districts.is_empty() {
                return Err(
                    format!("district '{}' is not onboarded", tenant.unwrap_or_default()).into(),
                );
            }
            let now = at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
            let mut report = crate::checkins::sweep::Report::default();
            let started = std::time::Instant::now();
            // As the service's job sweeps: a few districts at once.
            let swept: Vec<_> = futures_util::stream::iter(&districts)
                .map(|district| crate::checkins::sweep::sweep(&pool, district, now))
                .buffer_unordered(at_once)
                .collect()
                .await;
            for one in swept {
                report.absorb(one?);
            }
            let slugs: Vec<&str> = districts.iter().map(|d| d.slug.as_str()).collect();
            print_json(&json!({
                "tenant": if all_districts { json!(slugs) } else { json!(slugs[0]) },
                "at": now,
                "raised": report.raised,
                "cleared": report.cleared,
                "silenced": report.silenced,
                "mails": report.mails,
                // The sweep alone, without the command's start and the districts' loading.
                "seconds": started.elapsed().as_secs_f64(),
            }))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
