//! Background jobs and the scheduler that runs them.
//!
//! A job is a type implementing [`Job`], in a file of its own here: its name, how often it runs
//! ([`Every`]), where ([`Runs`]: for each district, once for the platform, or on every node) and what it
//! does ([`Job::run`]). [`start`] gives every job a task of its own, so a slow one (mail waiting on a
//! stalled SMTP server) never delays another (audit sealing).
//!
//! On each tick the scheduler claims the job's current period, per district, in `job_runs` (one
//! conditional upsert: of several nodes exactly one runs each job per district and period, and at most
//! one runs it at a time), runs it and records the outcome and, on success, the time. A run that fails is
//! tried again in the same period after [`RETRY_AFTER`]; a run that has not finished within its
//! [`Job::lease`] is taken to have died with its node, and another node may claim the period. A job
//! must therefore be idempotent for its period, which each job here is.
//!
//! [`last_successes`] reads when each job last succeeded for the district that has waited longest,
//! whichever node ran it: `/metrics` shows it as `nuanxin_job_last_success_seconds{job}`, and a
//! readiness check ("the check-in sweep has not completed for 5 minutes") can ask the same.
//!
//! To add a job: a file `jobs/<name>.rs` with a unit struct implementing [`Job`], and one line in
//! [`start`].

mod checkins_sweep;
mod checkins_watchdog;
mod match_tasks;
mod newly_eligible;
mod propose_tasks;
mod purge_sessions;
mod reload_districts;
mod seal_audit;
mod send_mail;
mod sharing_expiry;
mod task_deadlines;
mod task_mail;
mod task_reminders;
mod visit_flags;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use checkins_sweep::CheckinsSweep;
pub use checkins_watchdog::CheckinsWatchdog;
use chrono::{DateTime, FixedOffset, Utc};
use futures_util::StreamExt;
use nuanxin_db::models::job_run::{self, Claim, Terms};
use nuanxin_db::pool::DbPool;
pub use nuanxin_domain::schedule::{Every, Period};
use uuid::Uuid;

pub use match_tasks::MatchTasks;
pub use newly_eligible::NewlyEligible;
pub use propose_tasks::ProposeTasks;
pub use purge_sessions::PurgeSessions;
pub use reload_districts::ReloadDistricts;
pub use seal_audit::SealAudit;
pub use send_mail::SendMail;
pub use sharing_expiry::SharingExpiry;
pub use task_deadlines::TaskDeadlines;
pub use task_mail::TaskMail;
pub use task_reminders::TaskReminders;
pub use visit_flags::VisitFlags;

use crate::auth::PLATFORM_DOMAIN;
use crate::state::{AppState, District, CHINA_STANDARD_TIME};

/// What a run returns when it fails; its message is recorded (it must name no person).
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// A failed run is tried again in the same period once it failed this long ago.
pub const RETRY_AFTER: Duration = Duration::from_secs(60);

/// How often a daily job looks whether its day has come (its period is claimed once per day).
const DAILY_CHECK: Duration = Duration::from_secs(600);

/// Where a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// For each district, on one node per period (claimed under the district's slug).
    PerDistrict,
    /// Once for the whole platform, on one node per period (claimed as `platform`).
    Once,
    /// On every node, unclaimed: work on the node's own state.
    OnEveryNode,
}

/// A background job. See the module documentation for how the scheduler runs it.
pub trait Job: Send + Sync + 'static {
    /// The job's name in `job_runs`, logs and metrics.
    fn name(&self) -> &'static str;

    /// How often it runs: once per period.
    fn every(&self) -> Every;

    /// Where it runs.
    fn runs(&self) -> Runs {
        Runs::PerDistrict
    }

    /// How many districts a per-district job runs at once, each on its own connection (one: in turn).
    fn districts_at_once(&self) -> usize {
        1
    }

    /// How long a run may take before another node may take its period over.
    fn lease(&self) -> Duration {
        Duration::from_secs(600)
    }

    /// Runs the job for one period: `district` is the district for [`Runs::PerDistrict`], else None.
    /// Returns a short account of what it did (recorded; it must name no person).
    fn run(
        &self,
        state: &Arc<AppState>,
        district: Option<&District>,
        period: &Period,
    ) -> impl Future<Output = Result<String, JobError>> + Send;
}

/// Starts every job of the service, each in a task of its own.
pub fn start(state: &Arc<AppState>) {
    spawn(state, SealAudit);
    spawn(state, SendMail);
    tokio::spawn(crate::mail::listen(
        state.settings.app_database_url(),
        state.mailer.queued(),
    ));
    spawn(state, NewlyEligible);
    spawn(state, PurgeSessions);
    spawn(state, ReloadDistricts::default());
    spawn(state, SharingExpiry);
    spawn(state, CheckinsSweep);
    spawn(state, CheckinsWatchdog { since: Utc::now() });
    spawn(state, MatchTasks);
    spawn(state, ProposeTasks);
    spawn(state, TaskDeadlines);
    spawn(state, TaskReminders);
    spawn(state, TaskMail);
    spawn(state, VisitFlags);
}

/// Runs `job` on its schedule, in a task of its own, for as long as the runtime lives.
pub fn spawn<J: Job>(state: &Arc<AppState>, job: J) {
    tokio::spawn(drive(state.clone(), job));
}

async fn drive<J: Job>(state: Arc<AppState>, job: J) {
    let check = match job.every() {
        Every::Seconds(n) => Duration::from_secs(u64::from(n.get())),
        Every::Day => DAILY_CHECK,
    };
    loop {
        match job.runs() {
            Runs::PerDistrict => {
                let (state, job) = (&state, &job);
                futures_util::stream::iter(state.districts.all())
                    .for_each_concurrent(job.districts_at_once().max(1), |district| async move {
                        run_claimed(
                            state,
                            job,
                            Some(&*district),
                            &district.slug,
                            district.utc_offset(),
                        )
                        .await;
                    })
                    .await;
            }
            Runs::Once => {
                run_claimed(&state, &job, None, PLATFORM_DOMAIN, CHINA_STANDARD_TIME).await;
            }
            Runs::OnEveryNode => {
                let period = job.every().period_at(Utc::now(), CHINA_STANDARD_TIME);
                if let Err(e) = job.run(&state, None, &period).await {
                    tracing::warn!(job = job.name(), error = %e, "job failed");
                }
            }
        }
        tokio::time::sleep(until_next_period(check, Utc::now())).await;
    }
}

/// How long from `now` until just after the next wall-clock multiple of `check`: the first run comes at
/// once, the next ones at the start of their periods (a check-in step falls due on the minute; the
/// sweep then raises it within a second, not anywhere in the minute), whatever a run took.
fn until_next_period(check: Duration, now: DateTime<Utc>) -> Duration {
    /// Past the boundary, so that the run's clock reads the new period.
    const AFTER_BOUNDARY: Duration = Duration::from_millis(200);
    let period = u64::try_from(check.as_millis()).unwrap_or(u64::MAX).max(1);
    let into = u64::try_from(now.timestamp_millis()).unwrap_or(0) % period;
    Duration::from_millis(period - into) + AFTER_BOUNDARY
}

/// Claims the job's current period for `domain`, and if this node won it, runs it and records the outcome.
/// Returns whether it ran.
pub async fn run_claimed<J: Job>(
    state: &Arc<AppState>,
    job: &J,
    district: Option<&District>,
    domain: &str,
    offset: FixedOffset,
) -> bool {
    let period = job.every().period_at(Utc::now(), offset);
    let claim = Claim {
        job: job.name().to_owned(),
        domain: domain.to_owned(),
        period_start: period.start,
        claim_id: Uuid::new_v4(),
    };
    let terms = Terms {
        retry_after_secs: secs(RETRY_AFTER),
        lease_secs: secs(job.lease()),
    };
    match claim_period(&state.pool, &claim, terms).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(job = job.name(), tenant = domain, error = %e, "cannot claim the job's period");
            return false;
        }
    }
    let (succeeded, detail) = match job.run(state, district, &period).await {
        Ok(detail) => (true, detail),
        Err(e) => {
            tracing::warn!(job = job.name(), tenant = domain, error = %e, "job failed");
            (false, e.to_string())
        }
    };
    let recorded = match state.pool.get().await {
        Ok(mut conn) => claim
            .finish(&mut conn, succeeded, &detail)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job = job.name(),
            tenant = domain,
            "job outlived its lease; its period was taken over"
        ),
        Err(e) => {
            tracing::warn!(job = job.name(), tenant = domain, error = %e, "cannot record the job's outcome")
        }
    }
    true
}

async fn claim_period(pool: &DbPool, claim: &Claim, terms: Terms) -> Result<bool, JobError> {
    let mut conn = pool.get().await?;
    Ok(Claim::take(&mut conn, claim, terms).await?)
}

/// Every job whose last run failed, by domain and job, whichever node ran it (the operator's page).
pub async fn failed_runs(pool: &DbPool) -> Result<Vec<job_run::FailedRun>, JobError> {
    let mut conn = pool.get().await?;
    Ok(job_run::failed_runs(&mut conn).await?)
}

/// When each job last succeeded for the district that has waited longest (None: it never succeeded
/// for some district), whichever node ran it.
pub async fn last_successes(
    pool: &DbPool,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, JobError> {
    let mut conn = pool.get().await?;
    Ok(job_run::last_successes(&mut conn).await?)
}

/// When `job` last succeeded for the district that has waited longest (see [`last_successes`]).
pub async fn last_success(pool: &DbPool, job: &str) -> Result<Option<DateTime<Utc>>, JobError> {
    Ok(last_successes(pool)
        .await?
        .into_iter()
        .find(|(name, _)| name == job)
        .and_then(|(_, at)| at))
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// `Every::Seconds(n)` for a constant `n` other than zero.
const fn seconds(n: u32) -> Every {
    match std::num::NonZeroU32::new(n) {
        Some(n) => Every::Seconds(n),
        None => panic!("a schedule of zero seconds"),
    }
}
