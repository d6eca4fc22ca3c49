//! Every 5 minutes, per district: a reminder for each assigned volunteer whose window starts within the district's lead time (once per offer).

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct TaskReminders;

impl Job for TaskReminders {
    fn name(&self) -> &'static str {
        "task_reminders"
    }

    fn every(&self) -> Every {
        seconds(300)
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
        let n = crate::tasks::offers::remind(state, district).await?;
        Ok(format!("{n} reminders queued"))
    }
}
