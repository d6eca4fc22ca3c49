//! Sealing the audit log into each district's hash chain: the recent events every 2 seconds, and the
//! whole log every 5 minutes for events whose transactions committed late.

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::audit::{self, Sweep};
use crate::state::{AppState, District};

/// Seals a district's unsealed audit events.
pub struct SealAudit {
    name: &'static str,
    every: Every,
    sweep: Sweep,
}

impl SealAudit {
    /// The events after the last sealed one, every 2 seconds.
    pub const RECENT: SealAudit = SealAudit {
        name: "seal_audit",
        every: seconds(2),
        sweep: Sweep::Recent,
    };
    /// Every event not yet sealed, every 5 minutes.
    pub const ALL: SealAudit = SealAudit {
        name: "seal_audit_sweep",
        every: seconds(300),
        sweep: Sweep::All,
    };
}

impl Job for SealAudit {
    fn name(&self) -> &'static str {
        self.name
    }

    fn every(&self) -> Every {
        self.every
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
        let sealed = audit::seal(&state.pool, district.id, self.sweep).await?;
        Ok(format!("{sealed} events sealed"))
    }
}
