//! Every minute, per district: offers past their answer deadline become declines, accepted and assigned offers past their window and grace period become no-shows, and finished tasks close.

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct TaskDeadlines;

impl Job for TaskDeadlines {
    fn name(&self) -> &'static str {
        "task_deadlines"
    }

    fn every(&self) -> Every {
        seconds(60)
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
        let expired = crate::tasks::offers::expire_overdue(state, district).await?;
        let no_shows = crate::tasks::offers::mark_no_shows(state, district).await?;
        Ok(format!("{expired} offers expired, {no_shows} no-shows"))
    }
}
