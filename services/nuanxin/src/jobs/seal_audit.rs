//! Sealing the audit log into each district's hash chain every 2 seconds: whatever the database has
//! queued as unsealed, late commits included.

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::audit;
use crate::state::{AppState, District};

/// Seals a district's unsealed audit events.
pub struct SealAudit;

impl Job for SealAudit {
    fn name(&self) -> &'static str {
        "seal_audit"
    }

    fn every(&self) -> Every {
        seconds(2)
    }

    fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let district = district.ok_or("sealing runs per district")?;
        let sealed = audit::seal(&state.pool, district.id).await?;
        Ok(format!("{sealed} events sealed"))
    }
}
