//! Once a day per district: tasks proposed from the families' entitlements
//! (`crate::tasks::proposals`), for the streets to take up or dismiss.

use std::sync::Arc;

use super::{Every, Job, JobError, Period};
use crate::audit::Actor;
use crate::state::{AppState, District};
use crate::tasks::proposals::{run, JOB};

pub struct ProposeTasks;

impl Job for ProposeTasks {
    fn name(&self) -> &'static str {
        JOB
    }

    fn every(&self) -> Every {
        Every::Day
    }

    /// A large register takes minutes: another node takes the day over only after an hour.
    fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(3600)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        period: &Period,
    ) -> Result<String, JobError> {
        let Some(district) = district.filter(|d| d.matching.is_some()) else {
            return Ok("no matching configured".into());
        };
        let actor = Actor {
            user_id: nuanxin_ids::UserId::SYSTEM,
            name: "服务任务建议".into(),
            actor: format!("system:{JOB}"),
            request_id: None,
        };
        let report = run(state.clone(), district, None, period.on, &actor).await?;
        Ok(match report.skipped {
            Some(why) => why,
            None => format!(
                "{} families, {} proposals found, {} new, {} lapsed",
                report.families, report.found, report.new, report.lapsed
            ),
        })
    }
}
