//! `nuanxin matching …`: the matching engine from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::configuration::Settings;

#[derive(Subcommand)]
pub enum MatchingCommand {
    /// Solve a matching problem given as JSON (tasks, helpers, candidate pairs): the minimum-cost assignment.
    Solve {
        /// `{"unassigned_cost", "tasks": [{"id", "demand"?, "unassigned_cost"?}], "helpers": [{"id",
        /// "capacity"}], "arcs": [{"task", "helper", "cost"}]}`
        file: PathBuf,
    },
    /// Run the district's volunteer matching now over its open tasks (as the scheduled run does) and
    /// print what it offered and what stayed unfilled, with the time each phase took.
    Run {
        #[arg(long)]
        tenant: String,
    },
}

pub async fn run(settings: &Settings, command: MatchingCommand) -> super::CliResult {
    match command {
        MatchingCommand::Solve { file } => solve(&file),
        MatchingCommand::Run { tenant } => run_district(settings, &tenant).await,
    }
}

/// `nuanxin matching run --tenant SLUG`: `{"run", "seconds"}` with the run's matches and unfilled tasks.
async fn run_district(settings: &Settings, slug: &str) -> super::CliResult {
    let pool = nuanxin_db::pool::build_pool(&settings.app_database_url(), 4)?;
    let district = crate::onboarding::load_districts(
        &pool,
        &crate::onboarding::tenants_dir(&settings.application.tenants_dir),
    )
    .await?
    .into_iter()
    .find(|d| d.slug == slug)
    .ok_or_else(|| format!("district '{slug}' is not onboarded"))?;
    let started = std::time::Instant::now();
    let (run, phases) = crate::tasks::matching::run_timed(&pool, &district, None, "system:cli")
        .await
        .map_err(|e| e.to_string())?;
    super::print_json(&serde_json::json!({
        "seconds": started.elapsed().as_secs_f64(),
        "phases": phases,
        "run": run,
    }))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `{"cost", "assignments", "unassigned"}`; bad input is an error naming the file and the place, and
/// nothing is printed on stdout.
fn solve(file: &Path) -> super::CliResult {
    let input = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let output = nuanxin_matching::json::solve_json(&input)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{output}") {
        // A reader that stops early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
