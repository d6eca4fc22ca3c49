//! Every minute per district: the check-in sweep (`crate::checkins::sweep`), raising the ladder's steps
//! that fell due, their all-clears and the silence flags. Idempotent for its period: every insert is
//! under a unique key, so a period run twice (a retry, a node that took a lapsed lease over) raises
//! nothing twice.

use std::sync::Arc;

use chrono::Utc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct CheckinsSweep;

impl Job for CheckinsSweep {
    fn name(&self) -> &'static str {
        crate::checkins::sweep::JOB
    }

    fn every(&self) -> Every {
        seconds(60)
    }

    /// A platform's districts are swept a few at a time, so the last district's alerts do not wait
    /// for every other district's sweep.
    fn districts_at_once(&self) -> usize {
        crate::checkins::sweep::DISTRICTS_AT_ONCE
    }

    /// A sweep takes seconds; a node that died mid-sweep is replaced within two minutes.
    fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(120)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        _period: &Period,
    ) -> Result<String, JobError> {
        let district = district.ok_or("the check-in sweep runs per district")?;
        let report = crate::checkins::sweep::sweep(&state.pool, district, Utc::now()).await?;
        Ok(format!(
            "{} pairings, {} alerts raised, {} all-clears, {} silence flags",
            report.pairings,
            report.raised.len(),
            report.cleared,
            report.silenced
        ))
    }
}
