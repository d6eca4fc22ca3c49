//! `nuanxin calendar`: the lunar holidays campaigns are held on (`nuanxin-calendar`).

use std::process::ExitCode;

use clap::Subcommand;

use super::{print_json, CliResult};

/// The calendar commands.
#[derive(Subcommand)]
pub enum CalendarCommand {
    /// The Spring Festival, Mid-Autumn and Chongyang dates of a year (1950–2100) as JSON.
    Holidays {
        #[arg(long, allow_negative_numbers = true)]
        year: i32,
    },
}

/// Runs a calendar command; a year out of range is an error on stderr, nothing on stdout.
pub fn run(command: CalendarCommand) -> CliResult {
    match command {
        CalendarCommand::Holidays { year } => {
            print_json(&nuanxin_calendar::holidays(year)?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
