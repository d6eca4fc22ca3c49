//! Once a day per district: the newly-eligible check, follow-ups for streets when a family's
//! entitlements changed (`crate::benefits::newly_eligible`).

use std::sync::Arc;

use super::{Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct NewlyEligible;

impl Job for NewlyEligible {
    fn name(&self) -> &'static str {
        crate::benefits::newly_eligible::JOB
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
        let district = district.ok_or("the newly-eligible check runs per district")?;
        let report =
            crate::benefits::newly_eligible::run(state.clone(), district, period.on).await?;
        Ok(match report.skipped {
            Some(why) => why,
            None => format!(
                "{} families, {} changed, {} follow-ups",
                report.families, report.families_changed, report.follow_ups_created
            ),
        })
    }
}
