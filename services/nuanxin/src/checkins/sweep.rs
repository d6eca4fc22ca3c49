//! The sweep: for every pairing of a district, as of an instant, the steps of the ladder to raise, the
//! all-clears to send and the silence flags, as `nuanxin_checkins::Day::decide` and `silence` say.
//!
//! Pairings are read in keyset pages; each page is one short transaction with one read: the page's
//! pairings that may have something to do, each with its pauses, its two days' (yesterday and today: a
//! ladder may run past midnight) check-ins, alerts and snapshots, its last check-in and silence flag,
//! and its addresses ([`SweepRow::page`]); pairings whose days are certainly settled (a `well` check-in
//! in time, nothing worrying, nothing raised) are left out in SQL, which is most of them on a normal
//! day. It decides in memory and inserts alerts, all-clears and flags under their unique keys with
//! `ON CONFLICT DO NOTHING`, writing mail only for the rows it inserted. Two nodes sweeping at once
//! compute the same keys and one insert wins; a sweep killed before its commit raised nothing and the
//! next one raises the same keys (late, if it is five minutes later). So a step is raised exactly once
//! per pairing and day however often anything sweeps.

use nuanxin_ids::{AlertId, PairingId};
use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Offset, Utc};
use nuanxin_checkins::{silence, CheckIn, Day, Outcome, Pause, Schedule, Step};
use nuanxin_db::models::checkins::{
    last_success_of, tell_stall, AlertRow, DayRow, PairingRow, PauseRow, SilenceRow, SweepAt,
    SweepRow,
};
use nuanxin_db::models::mail::NewMail;
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_domain::checkins::days_off_of;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::notify::{self, Addresses};
use super::CheckinError;
use crate::state::District;

/// The scheduler's name of the sweep (`job_runs`, metrics, readiness).
pub const JOB: &str = "checkins_sweep";

/// Pairings per transaction (most of a page is settled and never leaves the database).
const PAGE: i64 = 5_000;

/// Districts swept at once by the job (and the CLI's `--all-districts`), each on its own connection.
pub const DISTRICTS_AT_ONCE: usize = 4;

/// One alert the sweep raised.
#[derive(Debug, Clone, Serialize)]
pub struct Raised {
    pub pairing_id: PairingId,
    /// The ladder's rung, 1 for the first step.
    pub level: i16,
    pub recipient: String,
    pub late: bool,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub raised: Vec<Raised>,
    pub cleared: usize,
    pub silenced: usize,
    pub mails: usize,
    /// Pairings decided in memory (the others were settled in SQL).
    #[serde(skip)]
    pub pairings: usize,
}

impl Report {
    /// Adds another page's (or district's) report to this one.
    pub fn absorb(&mut self, other: Report) {
        self.raised.extend(other.raised);
        self.cleared += other.cleared;
        self.silenced += other.silenced;
        self.mails += other.mails;
        self.pairings += other.pairings;
    }
}

/// Sweeps every pairing of the district as of `now`.
pub async fn sweep(
    pool: &DbPool,
    district: &District,
    now: DateTime<Utc>,
) -> Result<Report, CheckinError> {
    let mut report = Report::default();
    if district.checkins.is_none() {
        return Ok(report);
    }
    let mut after = PairingId::from_uuid(Uuid::nil());
    while let Some((page, last)) = sweep_page(pool, district, now, Pages::After(after)).await? {
        report.absorb(page);
        after = last;
    }
    Ok(report)
}

/// Sweeps one pairing as of `now`, right after its check-in.
pub async fn sweep_pairing(
    pool: &DbPool,
    district: &District,
    now: DateTime<Utc>,
    pairing: PairingId,
) -> Result<Report, CheckinError> {
    Ok(sweep_page(pool, district, now, Pages::One(pairing))
        .await?
        .map(|(r, _)| r)
        .unwrap_or_default())
}

/// Which pairings a transaction of the sweep takes.
#[derive(Clone, Copy)]
enum Pages {
    /// The next page after this id.
    After(PairingId),
    /// This pairing alone.
    One(PairingId),
}

/// A pairing row's schedule, with its pauses.
pub(super) fn schedule_of(p: &PairingRow, pauses: &[&PauseRow], district: &District) -> Schedule {
    let pauses = pauses
        .iter()
        .map(|r| Pause {
            from: r.starts_on,
            until: r.ends_on,
        })
        .collect();
    schedule_with(p, pauses, district)
}

fn schedule_with(p: &PairingRow, pauses: Vec<Pause>, district: &District) -> Schedule {
    let minute = u32::try_from(p.deadline_minute).unwrap_or(0);
    Schedule {
        deadline: NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN),
        days_off: days_off_of(p.days_off),
        pauses,
        starts: p.starts_on,
        ended_at: p.ended_at,
        offset: district.utc_offset(),
    }
}

#[derive(Deserialize)]
struct JsonPause {
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
struct JsonCheckIn {
    day: NaiveDate,
    logged_at: DateTime<Utc>,
    outcome: Outcome,
}

#[derive(Deserialize)]
struct JsonAlert {
    day: NaiveDate,
    step: i16,
    acknowledged_at: Option<DateTime<Utc>>,
    cleared_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct JsonSnapshot {
    day: NaiveDate,
    steps: Vec<Step>,
}

/// The JSON arrays of a [`SweepRow`], built by its own query: one that does not read is a bug there,
/// reported as the database's.
fn parse<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<Vec<T>, CheckinError> {
    Vec::<T>::deserialize(value)
        .map_err(|e| CheckinError::Database(diesel::result::Error::DeserializationError(e.into())))
}

/// Sweeps one page in one transaction; the page's report and its last id, or None past the last page.
async fn sweep_page(
    pool: &DbPool,
    district: &District,
    now: DateTime<Utc>,
    pages: Pages,
) -> Result<Option<(Report, PairingId)>, CheckinError> {
    let Some(ladder) = district.checkins.as_deref() else {
        return Ok(None);
    };
    let today = district.local(now).date_naive();
    let days: Vec<NaiveDate> = [today.pred_opt(), Some(today)]
        .into_iter()
        .flatten()
        .collect();
    let current: Vec<Step> = ladder.steps().to_vec();
    let at = SweepAt {
        tenant_id: district.id,
        now,
        today,
        utc_offset_secs: district.local(now).offset().fix().local_minus_utc(),
        first_step_minutes: current
            .iter()
            .map(|s| i32::try_from(s.after_minutes).unwrap_or(i32::MAX))
            .min()
            .unwrap_or(0),
    };
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let (first, last) = match pages {
        Pages::One(id) => (id, id),
        Pages::After(after) => match SweepRow::next_page(&mut tx, after, PAGE).await? {
            Some(bounds) => bounds,
            None => {
                tx.commit().await?;
                return Ok(None);
            }
        },
    };
    let rows = SweepRow::page(&mut tx, at, first, last).await?;
    // Steps are numbers and codes: serializing them cannot fail.
    let current_json = serde_json::to_value(&current).unwrap_or_default();

    let mut new_days = Vec::new();
    let mut raises = Vec::new();
    let mut clears = Vec::new();
    let mut silences = Vec::new();
    for row in &rows {
        let p = &row.pairing;
        let pauses = parse::<JsonPause>(&row.pauses)?
            .into_iter()
            .map(|r| Pause {
                from: r.starts_on,
                until: r.ends_on,
            })
            .collect();
        let schedule = schedule_with(p, pauses, district);
        let check_ins = parse::<JsonCheckIn>(&row.check_ins)?;
        let alerts = parse::<JsonAlert>(&row.alerts)?;
        let snapshots = parse::<JsonSnapshot>(&row.snapshots)?;
        for &date in &days {
            if !schedule.expects(date) {
                continue;
            }
            let logged: Vec<CheckIn> = check_ins
                .iter()
                .filter(|c| c.day == date)
                .map(|c| CheckIn {
                    at: c.logged_at,
                    outcome: c.outcome,
                })
                .collect();
            let day_alerts: Vec<&JsonAlert> = alerts.iter().filter(|a| a.day == date).collect();
            let acknowledged: Vec<DateTime<Utc>> = day_alerts
                .iter()
                .filter_map(|a| a.acknowledged_at)
                .collect();
            let raised: Vec<usize> = day_alerts
                .iter()
                .filter_map(|a| usize::try_from(a.step).ok())
                .collect();
            let cleared: Vec<usize> = day_alerts
                .iter()
                .filter(|a| a.cleared_at.is_some())
                .filter_map(|a| usize::try_from(a.step).ok())
                .collect();
            let snapshot = snapshots.iter().find(|s| s.day == date);
            let steps = snapshot.map_or(current.as_slice(), |s| s.steps.as_slice());
            let decision = Day {
                pairing: p.id,
                date,
                deadline: schedule.deadline_on(date),
                steps,
                check_ins: &logged,
                acknowledged: &acknowledged,
                raised: &raised,
                cleared: &cleared,
                ended_at: p.ended_at,
            }
            .decide(now);
            if !decision.raise.is_empty() && snapshot.is_none() {
                new_days.push(DayRow {
                    tenant_id: district.id,
                    pairing_id: p.id,
                    day: date,
                    steps: current_json.clone(),
                    started_at: now,
                });
            }
            for r in decision.raise {
                raises.push(AlertRow {
                    tenant_id: district.id,
                    id: AlertId::generate(),
                    pairing_id: p.id,
                    day: date,
                    step: i16::try_from(r.key.step).unwrap_or(i16::MAX),
                    recipient: r.key.recipient.code().to_owned(),
                    cause: r.cause,
                    due_at: r.due_at,
                    raised_at: now,
                    late: r.late,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    finding: None,
                    cleared_at: None,
                });
            }
            for c in decision.all_clear {
                clears.push((p.id, date, i16::try_from(c.key.step).unwrap_or(i16::MAX)));
            }
        }
        if let Some(key) = silence(
            p.id,
            &schedule,
            row.last_check_in,
            ladder.silent_days(),
            row.flagged_since,
            now,
        ) {
            silences.push(SilenceRow {
                tenant_id: district.id,
                pairing_id: p.id,
                since: key.since,
                raised_at: now,
            });
        }
    }

    let mut report = Report {
        pairings: rows.len(),
        ..Report::default()
    };
    if raises.is_empty() && clears.is_empty() && silences.is_empty() {
        tx.commit().await?;
        return Ok(Some((report, last)));
    }
    let to = Addresses::of_sweep(&mut tx, district, &rows).await?;
    DayRow::start_many(&mut tx, &new_days).await?;
    let inserted = AlertRow::raise_many(&mut tx, &raises).await?;
    let inserted: HashSet<AlertId> = inserted.into_iter().map(|k| k.id).collect();
    let mut mail: Vec<NewMail> = Vec::new();
    for a in raises.iter().filter(|a| inserted.contains(&a.id)) {
        mail.extend(notify::alert(district, &to, a));
        report.raised.push(Raised {
            pairing_id: a.pairing_id,
            level: a.step + 1,
            recipient: a.recipient.clone(),
            late: a.late,
        });
    }
    // All-clears of steps raised just now are in `clears` too; they were inserted above first.
    for a in AlertRow::clear_many(&mut tx, &clears, now).await? {
        mail.extend(notify::all_clear(district, &to, &a));
        report.cleared += 1;
    }
    for s in SilenceRow::flag_many(&mut tx, &silences).await? {
        mail.extend(notify::silence(
            district,
            &to,
            s.pairing_id,
            s.since,
            ladder.silent_days(),
        ));
        report.silenced += 1;
    }
    NewMail::insert_many(&mut tx, &mail).await?;
    report.mails = mail.len();
    tx.commit().await?;
    Ok(Some((report, last)))
}

/// How long the sweep may go without completing before `/readyz`, `/metrics` and the district office
/// are told.
pub const STALL_AFTER: Duration = Duration::minutes(5);

/// Whether the district's sweep is stalled at `now`: not succeeded for [`STALL_AFTER`] since its last
/// success (or since `watching_since`, when it never succeeded). The last success, and whether stalled.
pub async fn stalled(
    pool: &DbPool,
    district: &District,
    watching_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Option<DateTime<Utc>>, bool), CheckinError> {
    let mut conn = pool.get().await.map_err(nuanxin_db::pool::TxError::from)?;
    let last = last_success_of(&mut conn, JOB, &district.slug).await?;
    Ok((last, now - last.unwrap_or(watching_since) > STALL_AFTER))
}

/// Tells the district office once per stall of its sweep; how many messages, or None when the sweep is
/// completing.
pub async fn watch(
    pool: &DbPool,
    district: &District,
    watching_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<usize>, CheckinError> {
    if district.checkins.is_none() {
        return Ok(None);
    }
    let (last, stalled) = stalled(pool, district, watching_since, now).await?;
    if !stalled {
        return Ok(None);
    }
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let key = last.unwrap_or(DateTime::UNIX_EPOCH);
    let told = if tell_stall(&mut tx, district.id, key).await? {
        notify::stalled(&mut tx, district, last).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(Some(told))
}

/// The sweep's health for `/readyz` and `/metrics`: `ok`, `stalled` (no district's sweep may go
/// [`STALL_AFTER`] without completing), or `starting` (it never completed yet: a new deployment).
pub async fn health(pool: &DbPool, now: DateTime<Utc>) -> (&'static str, Option<DateTime<Utc>>) {
    match crate::jobs::last_success(pool, JOB).await {
        Ok(Some(last)) if now - last > STALL_AFTER => ("stalled", Some(last)),
        Ok(Some(last)) => ("ok", Some(last)),
        Ok(None) => ("starting", None),
        Err(_) => ("unknown", None),
    }
}
