//! Every 10 seconds on every node: picks up districts onboarded (`nuanxin tenant onboard`) and access
//! rules changed while the service runs.

use std::sync::{Arc, Mutex};

use nuanxin_db::models::tenant::DirectoryVersion;

use super::{seconds, Every, Job, JobError, Period, Runs};
use crate::state::{AppState, District};

/// Remembers the directory version this node loaded last.
#[derive(Default)]
pub struct ReloadDistricts {
    seen: Mutex<Option<DirectoryVersion>>,
}

impl Job for ReloadDistricts {
    fn name(&self) -> &'static str {
        "reload_districts"
    }

    fn every(&self) -> Every {
        seconds(10)
    }

    fn runs(&self) -> Runs {
        Runs::OnEveryNode
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        _: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let mut seen = *self.seen.lock().unwrap_or_else(|p| p.into_inner());
        crate::onboarding::refresh(state, &mut seen).await?;
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = seen;
        Ok(String::new())
    }
}
