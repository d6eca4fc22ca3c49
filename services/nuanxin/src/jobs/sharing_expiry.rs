//! Once a day per district: notices of data releases about to end, and the records of ended releases
//! emptied (`crate::sharing::expiry`).

use std::sync::Arc;

use super::{Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct SharingExpiry;

impl Job for SharingExpiry {
    fn name(&self) -> &'static str {
        "sharing_expiry"
    }

    fn every(&self) -> Every {
        Every::Day
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        period: &Period,
    ) -> Result<String, JobError> {
        let district = district.ok_or("the sharing expiry runs per district")?;
        let run = crate::sharing::expiry::run(&state.pool, district, period.on).await?;
        Ok(format!(
            "{} expiry notices, {} records emptied",
            run.notices, run.records_emptied
        ))
    }
}
