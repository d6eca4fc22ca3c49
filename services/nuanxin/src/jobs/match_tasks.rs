//! Every 15 minutes, per district: the scheduled matching run over the district's open tasks (the street runs its own on demand). Slots freed by declines, expiries and no-shows re-enter here.

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct MatchTasks;

impl Job for MatchTasks {
    fn name(&self) -> &'static str {
        "match_tasks"
    }

    fn every(&self) -> Every {
        seconds(900)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let Some(district) = district.filter(|d| d.matching.is_some()) else {
            return Ok("no matching configured".into());
        };
        let run =
            crate::tasks::matching::run(&state.pool, district, None, "system:match_tasks").await?;
        Ok(format!("{} tasks, {} offers", run.tasks, run.matches.len()))
    }
}
