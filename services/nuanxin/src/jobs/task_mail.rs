//! Every minute, per district: the pending task notices as one outbox message per person (a burst of changes reaches each person once).

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct TaskMail;

impl Job for TaskMail {
    fn name(&self) -> &'static str {
        "task_mail"
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
        let n = crate::tasks::notices::flush(state, district).await?;
        Ok(format!("{n} messages"))
    }
}
