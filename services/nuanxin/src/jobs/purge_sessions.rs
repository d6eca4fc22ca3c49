//! Every minute, once for the platform: deletes expired sessions, and the Redis copies and then the rows
//! of ended ones (`crate::auth::session`).

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period, Runs};
use crate::auth::session::Sessions;
use crate::state::{AppState, District};

pub struct PurgeSessions;

impl Job for PurgeSessions {
    fn name(&self) -> &'static str {
        "purge_sessions"
    }

    fn every(&self) -> Every {
        seconds(60)
    }

    fn runs(&self) -> Runs {
        Runs::Once
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        _: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let purged = Sessions::purge(&state.pool, &state.store).await?;
        Ok(format!("{purged} sessions purged"))
    }
}
