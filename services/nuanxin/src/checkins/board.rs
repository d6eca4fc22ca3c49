//! What the console shows of the check-ins: today's state of each pairing in the caller's scope (the
//! helper's list, the community worker's board) and the coverage of the last 30 days (the street's
//! overview). Reads through the same scope as the API and records the read in the audit log.

use nuanxin_domain::checkins::AlertStatus;
use nuanxin_ids::{HelperId, PairingId};
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use nuanxin_db::models::checkins::{
    AlertFilter, AlertRow, CheckInRow, HelperRow, PairingRow, PauseRow,
};
use serde_json::json;

use super::{begin, commit, AlertView, Caller, CheckinError};
use crate::registry::Registry;
use crate::state::AppState;

/// Where a pairing stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TodayStatus {
    /// Checked in and well.
    Done,
    /// Expected, the deadline not passed yet.
    Pending,
    /// The deadline passed without a check-in.
    Missed,
    /// Alerts beyond the helper's reminder are open, or the helper reported a worry.
    Escalated,
    /// Someone looked and acknowledged the day's alerts.
    Acknowledged,
    /// No check-in expected today (day off, pause).
    Off,
}

impl TodayStatus {
    pub fn code(self) -> &'static str {
        match self {
            TodayStatus::Done => "done",
            TodayStatus::Pending => "pending",
            TodayStatus::Missed => "missed",
            TodayStatus::Escalated => "escalated",
            TodayStatus::Acknowledged => "acknowledged",
            TodayStatus::Off => "off",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            TodayStatus::Done => "已探询",
            TodayStatus::Pending => "待探询",
            TodayStatus::Missed => "已超时",
            TodayStatus::Escalated => "已上报",
            TodayStatus::Acknowledged => "已确认",
            TodayStatus::Off => "今日无需探询",
        }
    }

    /// Every status, in the board's order.
    pub const ALL: [TodayStatus; 6] = [
        TodayStatus::Escalated,
        TodayStatus::Missed,
        TodayStatus::Pending,
        TodayStatus::Acknowledged,
        TodayStatus::Done,
        TodayStatus::Off,
    ];
}

/// One pairing on the board.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub pairing_id: PairingId,
    /// The elder's name and who they are (母亲 / 父亲).
    pub elder: String,
    pub address: String,
    pub helper: String,
    /// The helper has no account: the community worker logs for them.
    pub helper_has_account: bool,
    pub deadline: String,
    pub status: TodayStatus,
    /// The latest check-in today: time and outcome label.
    pub last: Option<(String, &'static str)>,
}

/// The check-ins as the console shows them.
#[derive(Debug, Clone, Default)]
pub struct Board {
    pub today: Option<NaiveDate>,
    pub rows: Vec<BoardRow>,
    pub alerts: Vec<AlertView>,
    /// The last 30 days: (date, check-ins done, expected but missed).
    pub coverage: Vec<(NaiveDate, i64, i64)>,
}

/// The board of the pairings in the caller's scope as of `now` (a volunteer: their own).
pub async fn board(
    state: &AppState,
    who: Caller<'_>,
    now: DateTime<Utc>,
) -> Result<Board, CheckinError> {
    let ladder = super::ladder(who.district)?;
    let today = who.district.local(now).date_naive();
    let mut work = begin(state, who.district).await?;
    let helper = if who.is_helper_role() {
        match HelperRow::of_user(&mut work, who.user_id).await? {
            Some(h) => Some(h.id),
            None => {
                commit(work).await?;
                return Ok(Board {
                    today: Some(today),
                    ..Board::default()
                });
            }
        }
    } else {
        None
    };
    let pairings = PairingRow::list(&mut work, who.scope, helper, true).await?;
    let ids: Vec<PairingId> = pairings.iter().map(|p| p.id).collect();
    let days: Vec<NaiveDate> = (0..30).rev().map(|d| today - Duration::days(d)).collect();
    let pauses = PauseRow::of_pairings(&mut work, &ids).await?;
    let check_ins = CheckInRow::of_days(&mut work, &ids, &days).await?;
    let alerts: Vec<AlertView> = AlertRow::list(
        &mut work,
        who.scope,
        AlertFilter {
            open_only: false,
            helper,
            since: Some(now - Duration::days(2)),
        },
    )
    .await?
    .into_iter()
    .map(AlertView::from)
    .collect();
    let helper_ids: Vec<HelperId> = pairings.iter().map(|p| p.helper_id).collect();
    let helpers: HashMap<HelperId, HelperRow> = HelperRow::of_ids(&mut work, &helper_ids)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let registry = Registry::new(who.district, &state.keys);
    let mut rows = Vec::with_capacity(pairings.len());
    for p in &pairings {
        let pauses: Vec<&PauseRow> = pauses.iter().filter(|r| r.pairing_id == p.id).collect();
        let schedule = super::sweep::schedule_of(p, &pauses, who.district);
        let (_, family) = registry.load(&mut work, who.scope, p.family_id).await?;
        let person = if p.person == "mother" {
            "母亲"
        } else {
            "父亲"
        };
        let elder = family
            .parents
            .iter()
            .find(|m| super::person_code(m.role) == p.person)
            .map_or_else(|| person.to_owned(), |m| format!("{}（{person}）", m.name));
        let mut today_ins: Vec<&CheckInRow> = check_ins
            .iter()
            .filter(|c| c.pairing_id == p.id && c.day == today)
            .collect();
        today_ins.sort_by_key(|c| c.logged_at);
        let day_alerts: Vec<&AlertView> = alerts
            .iter()
            .filter(|a| a.pairing_id == p.id && a.day == today)
            .collect();
        let status = status_of(
            schedule.expects(today),
            now >= schedule.deadline_on(today),
            today_ins.last().map(|c| c.outcome.as_str()),
            &day_alerts,
        );
        let helper = helpers.get(&p.helper_id);
        rows.push(BoardRow {
            pairing_id: p.id,
            elder,
            address: family.address.clone(),
            helper: helper.map_or_else(String::new, |h| h.name.clone()),
            helper_has_account: helper.is_some_and(|h| h.user_id.is_some()),
            deadline: schedule.deadline.format("%H:%M").to_string(),
            status,
            last: today_ins.last().map(|c| {
                (
                    who.district.local(c.logged_at).format("%H:%M").to_string(),
                    c.outcome.label(),
                )
            }),
        });
    }
    rows.sort_by_key(|r| TodayStatus::ALL.iter().position(|s| *s == r.status));
    // Coverage: per day, the pairings expected that day, and of those how many had a check-in.
    let logged: HashSet<(PairingId, NaiveDate)> =
        check_ins.iter().map(|c| (c.pairing_id, c.day)).collect();
    let coverage = days
        .iter()
        .map(|&day| {
            let deadline_passed = |p: &PairingRow, s: &nuanxin_checkins::Schedule| {
                day < today || now >= s.deadline_on(day) || logged.contains(&(p.id, day))
            };
            let (mut done, mut missed) = (0, 0);
            for p in &pairings {
                let pauses: Vec<&PauseRow> =
                    pauses.iter().filter(|r| r.pairing_id == p.id).collect();
                let s = super::sweep::schedule_of(p, &pauses, who.district);
                if !s.expects(day) || !deadline_passed(p, &s) {
                    continue;
                }
                if logged.contains(&(p.id, day)) {
                    done += 1;
                } else {
                    missed += 1;
                }
            }
            (day, done, missed)
        })
        .collect();
    who.audit(
        &mut work,
        "checkin.board",
        "checkin_board",
        who.user_id,
        json!({"pairings": rows.len(), "ladder_steps": ladder.steps().len()}),
    )
    .await?;
    commit(work).await?;
    Ok(Board {
        today: Some(today),
        rows,
        alerts: alerts
            .into_iter()
            .filter(|a| a.status == AlertStatus::Open)
            .collect(),
        coverage,
    })
}

/// Today's status from what is known of the day.
fn status_of(
    expected: bool,
    deadline_passed: bool,
    last_outcome: Option<&str>,
    alerts: &[&AlertView],
) -> TodayStatus {
    let open_beyond_reminder = alerts
        .iter()
        .any(|a| a.status == AlertStatus::Open && a.level > 1);
    let acknowledged = !alerts.is_empty() && alerts.iter().all(|a| a.status != AlertStatus::Open);
    match last_outcome {
        Some("well") if !open_beyond_reminder => TodayStatus::Done,
        Some(_) if open_beyond_reminder => TodayStatus::Escalated,
        Some("needs_help" | "not_reached") if !acknowledged => TodayStatus::Escalated,
        _ if !expected && last_outcome.is_none() => TodayStatus::Off,
        _ if acknowledged => TodayStatus::Acknowledged,
        _ if open_beyond_reminder => TodayStatus::Escalated,
        None if deadline_passed => TodayStatus::Missed,
        _ => TodayStatus::Pending,
    }
}
