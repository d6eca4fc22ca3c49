//! The scheduler's claims (`job_runs`): which node runs a job for a district and period, and how it went.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::job_runs;

/// A claim on one job's period for one domain (a district's slug, or `platform`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub job: String,
    pub domain: String,
    pub period_start: DateTime<Utc>,
    pub claim_id: Uuid,
}

/// The claim terms: when a failed or abandoned run of the same period may be claimed again.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// A failed run of the period is tried again once it finished this many seconds ago.
    pub retry_after_secs: i64,
    /// A run still unfinished after this many seconds is taken to have died with its node.
    pub lease_secs: i64,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Bool)]
    claimed: bool,
}

impl Claim {
    /// Claims `job`'s period starting at `period_start` for `domain`: true for exactly one caller.
    /// Never an earlier period than the last claimed; never while a run is under way within its lease
    /// (one run at a time, on one node); a later period once the last run finished; the same period
    /// again only when its run failed or was abandoned (see [`Terms`]).
    pub async fn take(
        conn: &mut AsyncPgConnection,
        claim: &Claim,
        terms: Terms,
    ) -> QueryResult<bool> {
        let rows: Vec<Claimed> = diesel::sql_query(
            "INSERT INTO job_runs (job, domain, period_start, claim_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job, domain) DO UPDATE SET period_start = EXCLUDED.period_start, \
                 claim_id = EXCLUDED.claim_id, claimed_at = now(), finished_at = NULL, succeeded = NULL, \
                 detail = NULL \
             WHERE EXCLUDED.period_start >= job_runs.period_start AND ( \
                 (job_runs.succeeded IS NULL \
                  AND job_runs.claimed_at <= now() - make_interval(secs => $6::bigint)) \
              OR (job_runs.succeeded IS NOT NULL AND job_runs.period_start < EXCLUDED.period_start) \
              OR (job_runs.succeeded = false \
                  AND job_runs.finished_at <= now() - make_interval(secs => $5::bigint))) \
             RETURNING true AS claimed",
        )
        .bind::<Text, _>(&claim.job)
        .bind::<Text, _>(&claim.domain)
        .bind::<Timestamptz, _>(claim.period_start)
        .bind::<SqlUuid, _>(claim.claim_id)
        .bind::<diesel::sql_types::BigInt, _>(terms.retry_after_secs)
        .bind::<diesel::sql_types::BigInt, _>(terms.lease_secs)
        .load(conn)
        .await?;
        Ok(rows.iter().any(|r| r.claimed))
    }

    /// Records how the claimed run ended; `detail` says what it did or why it failed (no personal data).
    /// Does nothing if the claim was taken over meanwhile (the run outlived its lease).
    pub async fn finish(
        &self,
        conn: &mut AsyncPgConnection,
        succeeded: bool,
        detail: &str,
    ) -> QueryResult<bool> {
        let now = Utc::now();
        let n = diesel::update(
            job_runs::table
                .filter(job_runs::job.eq(&self.job))
                .filter(job_runs::domain.eq(&self.domain))
                .filter(job_runs::claim_id.eq(self.claim_id)),
        )
        .set((
            job_runs::finished_at.eq(now),
            job_runs::succeeded.eq(succeeded),
            job_runs::detail.eq(detail),
            job_runs::last_success_at.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(if succeeded {
                "now()"
            } else {
                "last_success_at"
            })),
        ))
        .execute(conn)
        .await?;
        Ok(n == 1)
    }
}

/// When each job last succeeded for the domain that has waited longest (a job that has never
/// succeeded somewhere has `None`): the scheduler's health, whichever node ran it.
pub async fn last_successes(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(String, Option<DateTime<Utc>>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        job: String,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        last_success_at: Option<DateTime<Utc>>,
    }
    // `bool_and` makes a domain that never succeeded count as no success at all (min ignores NULLs).
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT job, CASE WHEN bool_and(last_success_at IS NOT NULL) THEN min(last_success_at) END \
             AS last_success_at \
         FROM job_runs GROUP BY job ORDER BY job",
    )
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.job, r.last_success_at))
        .collect())
}

/// A job whose last run for a domain failed: what the platform operator's page lists as needing care.
#[derive(Debug, Clone, QueryableByName)]
pub struct FailedRun {
    #[diesel(sql_type = Text)]
    pub job: String,
    #[diesel(sql_type = Text)]
    pub domain: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_success_at: Option<DateTime<Utc>>,
}

/// Every job whose last finished run failed, by domain and job (a run under way keeps its last outcome
/// unknown and is not listed).
pub async fn failed_runs(conn: &mut AsyncPgConnection) -> QueryResult<Vec<FailedRun>> {
    diesel::sql_query(
        "SELECT job, domain, finished_at, last_success_at FROM job_runs \
         WHERE succeeded = false ORDER BY domain, job",
    )
    .load(conn)
    .await
}
