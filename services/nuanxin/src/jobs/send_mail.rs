//! Sending the queued mail (the outbox) of every district, in a task of its own: a slow or stalled SMTP
//! server delays nothing else. Once for the platform per period: the run drains every district fairly
//! (`crate::mail::Mailer::drain`), then stays for the rest of its period woken by every commit that
//! queues mail (`crate::mail::listen`), so a message is handed to SMTP within moments of its commit.
//! See `crate::mail` for the lease that keeps it exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{seconds, Every, Job, JobError, Period, Runs};
use crate::mail::DRAIN_FOR;
use crate::state::{AppState, District};

pub struct SendMail;

/// How long a run waits for a wake-up after the outbox ran dry before it hands back to the scheduler.
const WAKEFUL: Duration = Duration::from_secs(2);

impl Job for SendMail {
    fn name(&self) -> &'static str {
        "send_mail"
    }

    fn every(&self) -> Every {
        seconds(2)
    }

    fn runs(&self) -> Runs {
        Runs::Once
    }

    /// A run stops sending after [`DRAIN_FOR`], and its mail leases last 5 minutes.
    fn lease(&self) -> Duration {
        Duration::from_secs(330)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        _: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let until = Instant::now() + DRAIN_FOR;
        let queued = state.mailer.queued();
        let (mut sent, mut failed) = (0, 0);
        loop {
            let tenants = state.districts.all().iter().map(|d| d.id).collect();
            let (s, f) = state.mailer.drain(&state.pool, tenants, until).await?;
            sent += s;
            failed += f;
            let left = until.saturating_duration_since(Instant::now()).min(WAKEFUL);
            if left.is_zero() || tokio::time::timeout(left, queued.notified()).await.is_err() {
                break;
            }
        }
        Ok(format!("{sent} sent, {failed} failed"))
    }
}
