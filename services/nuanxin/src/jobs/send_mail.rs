//! Sending a district's queued mail (the outbox), every 2 seconds, in a task of its own: a slow or
//! stalled SMTP server delays nothing else. See `crate::mail` for the lease that keeps it exactly once.

use std::sync::Arc;

use super::{seconds, Every, Job, JobError, Period};
use crate::state::{AppState, District};

pub struct SendMail;

impl Job for SendMail {
    fn name(&self) -> &'static str {
        "send_mail"
    }

    fn every(&self) -> Every {
        seconds(2)
    }

    /// A dispatch stops sending before its mail lease (5 minutes) ends.
    fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(330)
    }

    async fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        _: &Period,
    ) -> Result<String, JobError> {
        let district = district.ok_or("mail is sent per district")?;
        let (sent, failed) = state.mailer.dispatch(&state.pool, district.id).await?;
        Ok(format!("{sent} sent, {failed} failed"))
    }
}
