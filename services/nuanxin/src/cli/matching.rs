//! `nuanxin matching …`: the matching engine from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

#[derive(Subcommand)]
pub enum MatchingCommand {
    /// Solve a matching problem given as JSON (tasks, helpers, candidate pairs): the minimum-cost assignment.
    Solve {
        /// `{"unassigned_cost", "tasks": [{"id", "demand"?, "unassigned_cost"?}], "helpers": [{"id",
        /// "capacity"}], "arcs": [{"task", "helper", "cost"}]}`
        file: PathBuf,
    },
}

pub fn run(command: MatchingCommand) -> super::CliResult {
    match command {
        MatchingCommand::Solve { file } => solve(&file),
    }
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
