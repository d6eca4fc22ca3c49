//! `/console/checkins`: the daily check-ins. A helper sees their elders for today and checks in with
//! one tap and an outcome; a community worker sees the board for today (escalated, missed, pending,
//! acknowledged, done) with the open alerts to acknowledge and the pairing tools; a street or the
//! district sees the same with the coverage of the last 30 days. Every action calls the same service
//! function as the API.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use nuanxin_access::{Action, Resource, Scope};
use nuanxin_checkins::{Outcome, RecipientKind};
use nuanxin_domain::checkins::{CheckInHow, Side};
use nuanxin_domain::labels;
use uuid::Uuid;

use super::charts::BarChart;
use super::session::{Console, Posted};
use super::views::{page, see_other, Frame, PageError};
use crate::checkins::board::{board, BoardRow, TodayStatus};
use crate::checkins::{AlertView, CheckInInput, WithdrawInput};
use crate::error::ApiError;
use crate::routes::checkins::caller;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "checkins.html")]
struct CheckinsPage {
    frame: Frame,
    today: String,
    /// The caller is a helper: their list for today.
    helper_view: bool,
    may_check_in: bool,
    may_manage: bool,
    rows: Vec<BoardRow>,
    /// (status code, label, count) for the board's summary.
    counts: Vec<(&'static str, &'static str, usize)>,
    alerts: Vec<AlertLine>,
    chart: String,
    message: &'static str,
}

/// An open alert as the page lists it.
struct AlertLine {
    id: Uuid,
    elder: String,
    level: i16,
    recipient: &'static str,
    cause: &'static str,
    due: String,
    late: bool,
}

#[derive(serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/checkins`.
pub async fn checkins_page(
    state: web::Data<AppState>,
    console: Console,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::CheckInAlert, Action::List)?;
    let now = Utc::now();
    let b = board(&state, caller(auth), now)
        .await
        .map_err(ApiError::from)?;
    let elder_of = |a: &AlertView| {
        b.rows
            .iter()
            .find(|r| r.pairing_id == a.pairing_id)
            .map_or_else(String::new, |r| r.elder.clone())
    };
    // One line per elder and day: acknowledging one closes the day's alerts, so its highest level is
    // what the reader needs (several rows for one elder read as several emergencies).
    let mut top: Vec<&AlertView> = Vec::new();
    for a in &b.alerts {
        match top
            .iter_mut()
            .find(|t| t.pairing_id == a.pairing_id && t.day == a.day)
        {
            Some(t) if t.level < a.level => *t = a,
            Some(_) => {}
            None => top.push(a),
        }
    }
    let alerts = top
        .into_iter()
        .map(|a| AlertLine {
            id: a.id,
            elder: elder_of(a),
            level: a.level,
            recipient: RecipientKind::from_code(&a.recipient).map_or("", RecipientKind::label),
            cause: labels::alert_cause(&a.cause),
            due: auth
                .district
                .local(a.due_at)
                .format("%m-%d %H:%M")
                .to_string(),
            late: a.late,
        })
        .collect();
    let helper_view = matches!(auth.scope, Scope::Assigned { .. });
    let chart = if helper_view || b.rows.is_empty() {
        String::new()
    } else {
        BarChart {
            title: "近30天每日探询完成情况".into(),
            unit: "结对数".into(),
            series: vec!["已探询".into(), "未探询".into()],
            bars: b
                .coverage
                .iter()
                .map(|(day, done, missed)| (day.format("%m-%d").to_string(), vec![*done, *missed]))
                .collect(),
        }
        .to_svg()
    };
    let counts = TodayStatus::ALL
        .iter()
        .map(|s| {
            (
                s.code(),
                s.label(),
                b.rows.iter().filter(|r| r.status == *s).count(),
            )
        })
        .collect();
    page(&CheckinsPage {
        frame: console.frame(&state, "每日探询", "/console/checkins"),
        today: b
            .today
            .map(|d| d.format("%Y年%m月%d日").to_string())
            .unwrap_or_default(),
        helper_view,
        may_check_in: auth.may(Resource::CheckIn, Action::Create),
        may_manage: auth.may(Resource::Pairing, Action::Update),
        rows: b.rows,
        counts,
        alerts,
        chart,
        message: match done.done.as_str() {
            "checked" => "已记录探询。",
            "acknowledged" => "已确认提醒，不再逐级上报。",
            "withdrawn" => "已解除结对，不再探询。",
            _ => "",
        },
    })
}

fn outcome(code: &str) -> Result<Outcome, PageError> {
    match code {
        "well" => Ok(Outcome::Well),
        "needs_help" => Ok(Outcome::NeedsHelp),
        "not_reached" => Ok(Outcome::NotReached),
        _ => Err(ApiError::bad_request("invalid", "outcome", "请选择探询结果").into()),
    }
}

/// `POST /console/checkins/{id}/check-in`: `outcome` and `how`.
pub async fn check_in(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<Uuid>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::CheckIn, Action::Create)?;
    let how = match form.get("how") {
        "phone" => CheckInHow::Phone,
        _ => CheckInHow::Visit,
    };
    let input = CheckInInput {
        outcome: outcome(form.get("outcome"))?,
        how,
    };
    crate::checkins::check_in(
        &state,
        caller(&console.auth),
        id.into_inner(),
        input,
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=checked"))
}

/// `POST /console/checkins/alerts/{id}/acknowledge`: `finding`.
pub async fn acknowledge(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<Uuid>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console
        .auth
        .require(Resource::CheckInAlert, Action::Update)?;
    crate::checkins::acknowledge(
        &state,
        caller(&console.auth),
        id.into_inner(),
        form.get("finding"),
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=acknowledged"))
}

/// `POST /console/checkins/{id}/withdraw`: `side` and `reason`.
pub async fn withdraw(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<Uuid>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    console.auth.require(Resource::Pairing, Action::Update)?;
    let side = match form.get("side") {
        "helper" => Side::Helper,
        _ => Side::Elder,
    };
    let input = WithdrawInput {
        side,
        reason: form.get("reason").to_owned(),
    };
    crate::checkins::withdraw(
        &state,
        caller(&console.auth),
        id.into_inner(),
        input,
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/checkins?done=withdrawn"))
}
