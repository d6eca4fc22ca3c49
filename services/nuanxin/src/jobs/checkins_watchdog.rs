//! Every minute per district: is the check-in sweep still completing? Check-in apps that stopped
//! silently after a restart are their users' first complaint; a stalled sweep means no elder who missed
//! a check-in is looked for. When the district's sweep has not succeeded for
//! [`crate::checkins::sweep::STALL_AFTER`], the district office is told once per stall (the stall's key
//! is the last success before it, the same on every node). A task of its own, so a hung sweep does not
//! hold it up.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{seconds, Every, Job, JobError, Period};
use crate::checkins::sweep;
use crate::state::{AppState, District};

pub struct CheckinsWatchdog {
    /// When this node started watching: the reference for a sweep that never succeeded.
    pub since: DateTime<Utc>,
}

impl Job for CheckinsWatchdog {
    fn name(&self) -> &'static str {
        "checkins_watchdog"
    }

    fn every(&self) -> Every {
        seconds(60)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        _period: &Period,
    ) -> Result<String, JobError> {
        let district = district.ok_or("the check-in watchdog runs per district")?;
        Ok(
            match sweep::watch(&state.pool, district, self.since, Utc::now()).await? {
                Some(told) => format!("sweep stalled; {told} messages to the district office"),
                None => "sweep completing".into(),
            },
        )
    }
}
