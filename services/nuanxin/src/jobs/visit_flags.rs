//! Once a day per district: the visits module's flags (`crate::visits::flags`) — a campaign's families
//! not visited five days before the festival, families without contact for the district's days, and
//! families with fewer than three contact persons.

use std::sync::Arc;

use super::{Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct VisitFlags;

impl Job for VisitFlags {
    fn name(&self) -> &'static str {
        "visit_flags"
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
        let district = district.ok_or("the visit flags run per district")?;
        let report = crate::visits::flags::run(&state.pool, district, period.on).await?;
        Ok(format!(
            "{} campaigns reminded, {} not visited, {} without contact, {} with few contact persons",
            report.campaigns_reminded, report.not_visited, report.no_contact, report.few_contacts
        ))
    }
}
