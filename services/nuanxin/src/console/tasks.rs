//! `/console/tasks`: service tasks and volunteer matching in the console, one page per role's work through
//! the same service calls and the same `Authorized` object as the API. Street and community staff list
//! their area's tasks, create one (errors beside their fields: `form`), run matching and read the run's
//! matches with their reasons and what stayed unfilled; a social organization answers its offers before a
//! live countdown runs out, assigns its volunteers and keeps them (`volunteers`); a volunteer sees their
//! tasks for today and the coming days with only what the task needs, and checks in and out on a phone.
//! Which page a caller gets is drawn from what they may do, never from a role name.

mod form;
mod proposals;
mod volunteers;

pub use form::{create_task, new_task};
pub use proposals::{dismiss_proposal, run_proposals};
pub use volunteers::{
    create_volunteer, edit_volunteer, export_hours, hours_page, new_volunteer, update_volunteer,
    volunteers_page,
};

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::input::{ReasonInput, ReportInput};
use nuanxin_domain::tasks::proposals::ProposalStatus;
use nuanxin_domain::tasks::{OfferStatus, TaskStatus};
use nuanxin_ids::{MatchingRunId, OfferId, TaskId, VolunteerId};
use nuanxin_text_enum::Labelled;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Console, Posted};
use super::views::{page, page_with_status, see_other, Frame, PageError, Pager};
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Paging;
use crate::state::AppState;
use crate::tasks::matching::{self, RunView};
use crate::tasks::offers::{self, OfferItem, Step};
use crate::tasks::staff_reach;
use crate::tasks::views::{OfferView, TaskView};
use crate::tasks::{service_tasks, volunteers as volunteer_service, TaskError};

const PER_PAGE: i64 = 20;

/// Whose work a caller of `/console/tasks` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    /// District, street and community staff: their area's tasks.
    Staff,
    /// A social organization: its offers and volunteers.
    Organization,
    /// A volunteer: their own tasks.
    Volunteer,
}

fn work_of(auth: &Authorized) -> Result<Work, ApiError> {
    auth.require(Resource::ServiceTask, Action::List)?;
    Ok(if auth.may(Resource::TaskOffer, Action::Assign) {
        Work::Organization
    } else if auth.may(Resource::TaskOffer, Action::Report) {
        Work::Volunteer
    } else {
        Work::Staff
    })
}

/// What a countdown shows before the script takes over (`剩余5小时03分`).
pub fn countdown_text(seconds: i64) -> String {
    if seconds <= 0 {
        return "已过答复期限".to_owned();
    }
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    if days > 0 {
        format!("剩余{days}天{hours}小时{minutes:02}分")
    } else {
        format!("剩余{hours}小时{minutes:02}分")
    }
}

/// The local time of a moment, as the pages write it.
fn local_text(auth: &Authorized, at: DateTime<Utc>) -> String {
    auth.district.local(at).format("%m月%d日 %H:%M").to_string()
}

/// `2026-12-02T09:00`, `…T11:30` → `12月02日 09:00–11:30`.
fn window_text(starts_at: &str, ends_at: &str) -> String {
    format!(
        "{}–{}",
        start_text(starts_at),
        ends_at.get(11..16).unwrap_or("")
    )
}

/// `2026-12-02T09:00` → `12月02日 09:00`.
fn start_text(starts_at: &str) -> String {
    let day = starts_at.get(5..10).unwrap_or("").replacen('-', "月", 1);
    format!("{day}日 {}", starts_at.get(11..16).unwrap_or(""))
}

#[derive(Deserialize)]
pub struct TasksQuery {
    #[serde(default)]
    status: String,
    page: Option<i64>,
    #[serde(default)]
    done: String,
}

/// A task in the staff's list.
struct TaskRow {
    task: TaskView,
    when: String,
    /// Who goes or was offered it, with their offer's status.
    helpers: Vec<String>,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct StaffPage {
    frame: Frame,
    rows: Vec<TaskRow>,
    pager: Pager,
    status: &'static str,
    statuses: Vec<(&'static str, &'static str)>,
    may_create: bool,
    may_run: bool,
    message: String,
    /// Open proposals from entitlements (the first page) and how many there are.
    proposals: Vec<crate::tasks::proposals::ProposalView>,
    proposals_total: i64,
    /// A dismissal refused: the proposal and why.
    proposal_error: Option<(Uuid, String)>,
}

impl StaffPage {
    fn proposal_error_of(&self, id: &Uuid) -> Option<&str> {
        self.proposal_error
            .as_ref()
            .filter(|(p, _)| p == id)
            .map(|(_, e)| e.as_str())
    }
}

/// An offer on the organization's or the volunteer's page, with the task it is for.
struct OfferCard {
    item: OfferItem,
    when: String,
    deadline: String,
    countdown: String,
    /// The task as the caller may see it (address, contact, notes once the task is theirs).
    task: Option<TaskView>,
    /// Errors of this card's form sent back, by field.
    errors: Vec<(String, String)>,
}

impl OfferCard {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn is(&self, status: &str) -> bool {
        self.item.offer.status.as_str() == status
    }
}

/// A volunteer an organization may name.
pub struct VolunteerChoice {
    pub id: VolunteerId,
    pub name: String,
    pub no_shows: i32,
}

#[derive(Template)]
#[template(path = "tasks_offers.html")]
struct OrganizationPage {
    frame: Frame,
    waiting: Vec<OfferCard>,
    taken: Vec<OfferCard>,
    past: Vec<OfferCard>,
    volunteers: Vec<VolunteerChoice>,
    message: String,
}

#[derive(Template)]
#[template(path = "tasks_mine.html")]
struct VolunteerPage {
    frame: Frame,
    /// (heading, what an empty section says, cards): today's, then the coming days'.
    sections: Vec<(&'static str, &'static str, Vec<OfferCard>)>,
    past: Vec<OfferCard>,
    message: String,
}

fn done_message(done: &str) -> &'static str {
    match done {
        "created" => "已创建服务任务。",
        "accept" => "已接受任务，请派志愿者。",
        "decline" => "已拒绝任务，街道将重新匹配。",
        "assign" => "已派志愿者，志愿者将收到通知。",
        "check-in" => "已签到。",
        "check-out" => "已签退，感谢您的服务。",
        "cancelled" => "已取消该任务，相关组织和志愿者将收到通知。",
        "dismissed" => "已不采纳该任务建议。",
        "proposed" => "已根据最新待遇生成任务建议。",
        _ => "",
    }
}

/// `GET /console/tasks`: the caller's task work.
pub async fn tasks_page(
    state: web::Data<AppState>,
    console: Console,
    query: web::Query<TasksQuery>,
) -> Result<HttpResponse, PageError> {
    let message = done_message(&query.done).to_owned();
    match work_of(&console.auth)? {
        Work::Staff => staff_page(&state, &console, &query, message, StatusCode::OK, None).await,
        work => offers_page(&state, &console, work, None, message).await,
    }
}

async fn staff_page(
    state: &AppState,
    console: &Console,
    query: &TasksQuery,
    message: String,
    status_code: StatusCode,
    proposal_error: Option<(Uuid, String)>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let status = TaskStatus::parse(&query.status);
    let paging = Paging::new(query.page, Some(PER_PAGE), PER_PAGE, PER_PAGE)?;
    let (tasks, total) = service_tasks::list(state, auth, status, paging.limit(), paging.offset())
        .await
        .map_err(ApiError::from)?;
    let base = match &status {
        Some(s) => format!("/console/tasks?status={s}&"),
        None => "/console/tasks?".to_owned(),
    };
    let rows = tasks
        .into_iter()
        .map(|task| TaskRow {
            when: window_text(&task.starts_at, &task.ends_at),
            helpers: helpers_of(&task.offers),
            task,
        })
        .collect();
    let may_create = auth.may(Resource::ServiceTask, Action::Create);
    let (proposals, proposals_total) = if may_create {
        crate::tasks::proposals::list(state, auth, Some(ProposalStatus::Open), PER_PAGE, 0)
            .await
            .map_err(ApiError::from)?
    } else {
        (Vec::new(), 0)
    };
    page_with_status(
        status_code,
        &StaffPage {
            frame: console.frame(state, "服务任务", "/console/tasks"),
            rows,
            pager: Pager::new(&base, paging.page, PER_PAGE, total),
            status: status.map(TaskStatus::as_str).unwrap_or_default(),
            statuses: TaskStatus::choices(),
            may_create,
            may_run: auth.may(Resource::MatchingRun, Action::Run),
            message,
            proposals,
            proposals_total,
            proposal_error,
        },
    )
}

/// `李志愿（已派志愿者）` for each offer that still holds its slot.
fn helpers_of(offers: &[OfferView]) -> Vec<String> {
    offers
        .iter()
        .filter(|o| o.status.holds_slot())
        .map(|o| {
            let who = o.assigned.as_ref().or(o.matched.as_ref());
            format!(
                "{}（{}）",
                who.map_or("", |p| p.name.as_str()),
                o.status_label
            )
        })
        .collect()
}

/// Errors sent back to one offer's form.
struct CardErrors {
    offer: OfferId,
    errors: Vec<(String, String)>,
}

async fn offers_page(
    state: &AppState,
    console: &Console,
    work: Work,
    sent_back: Option<CardErrors>,
    message: String,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    let items = own_offers(state, auth).await?;
    let status = if sent_back.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut cards = Vec::with_capacity(items.len());
    for item in items {
        let live = !item.offer.status.is_final();
        // The task's own fields only for offers still under way: what the work needs, read (and
        // audited) through the same call as the API's task view.
        let task = if live && work == Work::Volunteer {
            Some(
                service_tasks::get(state, auth, item.offer.task_id)
                    .await
                    .map_err(ApiError::from)?,
            )
        } else {
            None
        };
        let errors = match &sent_back {
            Some(e) if e.offer == item.offer.id => e.errors.clone(),
            _ => Vec::new(),
        };
        cards.push(OfferCard {
            when: window_text(&item.task.starts_at, &item.task.ends_at),
            deadline: local_text(auth, item.offer.deadline),
            countdown: item
                .offer
                .seconds_to_deadline
                .map(countdown_text)
                .unwrap_or_default(),
            task,
            errors,
            item,
        });
    }
    match work {
        Work::Organization => {
            let (volunteers, _) = volunteer_service::list(state, auth, 500, 0)
                .await
                .map_err(ApiError::from)?;
            let (waiting, rest): (Vec<_>, Vec<_>) =
                cards.into_iter().partition(|c| c.is("offered"));
            let (taken, past): (Vec<_>, Vec<_>) = rest
                .into_iter()
                .partition(|c| c.is("accepted") || c.is("assigned") || c.is("checked_in"));
            page_with_status(
                status,
                &OrganizationPage {
                    frame: console.frame(state, "任务邀请", "/console/tasks"),
                    waiting,
                    taken,
                    past,
                    volunteers: volunteers
                        .into_iter()
                        .filter(|v| v.active)
                        .map(|v| VolunteerChoice {
                            id: v.id,
                            name: v.name,
                            no_shows: v.no_shows,
                        })
                        .collect(),
                    message,
                },
            )
        }
        _ => {
            let today = auth.district.today().format("%Y-%m-%d").to_string();
            let (live, past): (Vec<_>, Vec<_>) = cards
                .into_iter()
                .partition(|c| !c.item.offer.status.is_final());
            let (mut today_cards, mut coming): (Vec<_>, Vec<_>) = live
                .into_iter()
                .partition(|c| c.item.task.starts_at.starts_with(&today));
            today_cards.sort_by(|a, b| a.item.task.starts_at.cmp(&b.item.task.starts_at));
            coming.sort_by(|a, b| a.item.task.starts_at.cmp(&b.item.task.starts_at));
            page_with_status(
                status,
                &VolunteerPage {
                    frame: console.frame(state, "我的服务任务", "/console/tasks"),
                    sections: vec![
                        ("今天", "今天没有安排给您的服务任务。", today_cards),
                        ("近期", "近期没有安排给您的服务任务。", coming),
                    ],
                    past,
                    message,
                },
            )
        }
    }
}

/// `POST /console/tasks/offers/{id}/{step}`: accept, decline (`reason`), assign (`volunteer_id`),
/// check-in, check-out (`report`, `hours`, `concern`). A refused form comes back with its errors on
/// the offer's card (422), a late or out-of-turn step with the reason why (409).
pub async fn offer_step(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(OfferId, String)>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let (id, step_name) = path.into_inner();
    let auth = &console.auth;
    let work = work_of(auth)?;
    let parsed = match step_name.as_str() {
        "accept" => Ok((Action::Respond, Step::Accept)),
        "decline" => ReasonInput {
            reason: form.get("reason").to_owned(),
        }
        .validate()
        .map(|r| (Action::Respond, Step::Decline(r))),
        "assign" => match form.get("volunteer_id").parse() {
            Ok(v) => Ok((Action::Assign, Step::Assign(v))),
            Err(_) => Err(one_error("volunteer_id", "请选择志愿者")),
        },
        "check-in" => Ok((Action::Report, Step::CheckIn)),
        "check-out" => check_out_input(&form).map(|r| (Action::Report, Step::CheckOut(r))),
        _ => return Err(ApiError::NotFound("没有这个操作").into()),
    };
    let result = match parsed {
        Ok((action, step)) => {
            auth.require(Resource::TaskOffer, action)?;
            offers::take(&state, auth, id, step)
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
        Err(errors) => Err(ApiError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/console/tasks?done={step_name}"))),
        Err(ApiError::Validation(errors)) => {
            let errors = errors.0.into_iter().map(|e| (e.field, e.message)).collect();
            offers_page(
                &state,
                &console,
                work,
                Some(CardErrors { offer: id, errors }),
                String::new(),
            )
            .await
        }
        Err(ApiError::Conflict { message, .. }) => {
            let errors = vec![(String::new(), message)];
            let mut response = offers_page(
                &state,
                &console,
                work,
                Some(CardErrors { offer: id, errors }),
                String::new(),
            )
            .await?;
            *response.status_mut() = StatusCode::CONFLICT;
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

fn one_error(field: &str, message: &str) -> nuanxin_domain::ValidationErrors {
    let mut e = nuanxin_domain::ValidationErrors::default();
    e.push(field, "invalid", message);
    e
}

/// The check-out form as the API's report: the hours typed as a decimal (`1.5`).
fn check_out_input(
    form: &Posted,
) -> Result<nuanxin_domain::tasks::input::Report, nuanxin_domain::ValidationErrors> {
    let hours = form.get("hours").trim();
    let Ok(hours) = hours.parse::<serde_json::Number>() else {
        return Err(one_error(
            "hours",
            "时长应以小时计，最小单位0.25小时（如1.5）",
        ));
    };
    ReportInput {
        report: form.get("report").to_owned(),
        hours,
        concern: form.text("concern"),
    }
    .validate()
}

/// `POST /console/tasks/runs`: matches the caller's street (or district) now.
pub async fn start_run(
    state: web::Data<AppState>,
    console: Console,
    _form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::MatchingRun, Action::Run)?;
    let street = match staff_reach(&state, auth).await? {
        nuanxin_db::models::tasks::TaskReach::Street(s) => Some(s),
        _ => None,
    };
    let run = matching::run(&state.pool, &auth.district, street, &auth.actor.actor)
        .await
        .map_err(ApiError::from)?;
    Ok(see_other(&format!("/console/tasks/runs/{}", run.id)))
}

/// A match of a run as the page lists it.
struct MatchRow {
    m: matching::MatchView,
    when: String,
    deadline: String,
}

/// A task a run left short, with its start as the page writes it.
struct UnfilledRow {
    u: matching::UnfilledView,
    when: String,
}

#[derive(Template)]
#[template(path = "tasks_run.html")]
struct RunPage {
    frame: Frame,
    run: RunView,
    started: String,
    matches: Vec<MatchRow>,
    unfilled: Vec<UnfilledRow>,
}

/// `GET /console/tasks/runs/{id}`: a run's matches with their reasons, and what stayed unfilled, why.
pub async fn run_page(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<MatchingRunId>,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::MatchingRun, Action::Read)?;
    let reach = staff_reach(&state, auth).await?;
    let mut run = matching::get(&state, &auth.district, reach, id.into_inner())
        .await
        .map_err(ApiError::from)?;
    let matches = std::mem::take(&mut run.matches)
        .into_iter()
        .map(|m| MatchRow {
            when: start_text(&m.starts_at),
            deadline: local_text(auth, m.deadline),
            m,
        })
        .collect();
    let unfilled = std::mem::take(&mut run.unfilled)
        .into_iter()
        .map(|u| UnfilledRow {
            when: start_text(&u.starts_at),
            u,
        })
        .collect();
    page(&RunPage {
        frame: console.frame(&state, "匹配结果", "/console/tasks"),
        started: local_text(auth, run.started_at),
        run,
        matches,
        unfilled,
    })
}

#[derive(Template)]
#[template(path = "tasks_task.html")]
struct TaskPage {
    frame: Frame,
    task: TaskView,
    when: String,
    /// Staff see every offer with the volunteers' names and reasons.
    staff: bool,
    may_cancel: bool,
    message: String,
    error: String,
}

/// `GET /console/tasks/{id}`: one task as the caller may see it.
pub async fn task_page(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<TaskId>,
    query: web::Query<TasksQuery>,
) -> Result<HttpResponse, PageError> {
    let message = done_message(&query.done).to_owned();
    show_task(
        &state,
        &console,
        id.into_inner(),
        StatusCode::OK,
        message,
        String::new(),
    )
    .await
}

async fn show_task(
    state: &AppState,
    console: &Console,
    id: TaskId,
    status: StatusCode,
    message: String,
    error: String,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::ServiceTask, Action::Read)?;
    let task = service_tasks::get(state, auth, id)
        .await
        .map_err(ApiError::from)?;
    let staff = task.family_id.is_some();
    page_with_status(
        status,
        &TaskPage {
            frame: console.frame(state, "服务任务", "/console/tasks"),
            when: window_text(&task.starts_at, &task.ends_at),
            may_cancel: staff
                && task.status == TaskStatus::Open
                && auth.may(Resource::ServiceTask, Action::Create),
            staff,
            task,
            message,
            error,
        },
    )
}

/// A form that takes a reason: the reason checked, then `act` with it. `None` when it was done, else the
/// status and what to show beside the form (`label：problem` for a bad reason, the conflict's message).
pub(super) async fn with_reason<Fut>(
    form: &Posted,
    label: &str,
    act: impl FnOnce(String) -> Fut,
) -> Result<Option<(StatusCode, String)>, PageError>
where
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let result = match (ReasonInput {
        reason: form.get("reason").to_owned(),
    })
    .validate()
    {
        Ok(reason) => act(reason).await,
        Err(errors) => Err(ApiError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(None),
        Err(ApiError::Validation(errors)) => Ok(Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .0
                .into_iter()
                .map(|e| format!("{label}：{}", e.message))
                .collect::<Vec<_>>()
                .join("；"),
        ))),
        Err(ApiError::Conflict { message, .. }) => Ok(Some((StatusCode::CONFLICT, message))),
        Err(other) => Err(other.into()),
    }
}

/// `POST /console/tasks/{id}/cancel`: `reason`; refused with the reason beside the form (422, 409).
pub async fn cancel_task(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<TaskId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::ServiceTask, Action::Create)?;
    let id = id.into_inner();
    let shared: &AppState = &state;
    let refused = with_reason(&form, "取消原因", |reason| async move {
        crate::tasks::cancel::cancel(shared, auth, id, &reason)
            .await
            .map(drop)
            .map_err(ApiError::from)
    })
    .await?;
    match refused {
        None => Ok(see_other(&format!("/console/tasks/{id}?done=cancelled"))),
        Some((status, error)) => {
            show_task(&state, &console, id, status, String::new(), error).await
        }
    }
}

/// A task of the caller's home page.
pub struct HomeTask {
    pub service: String,
    pub when: String,
    pub place: String,
    pub status: OfferStatus,
    pub status_label: &'static str,
    pub countdown: String,
    /// RFC 3339, for the live countdown.
    pub deadline: String,
}

/// The caller's offers; none for a volunteer account without a volunteer record yet, or a district
/// without matching.
async fn own_offers(state: &AppState, auth: &Authorized) -> Result<Vec<OfferItem>, ApiError> {
    match offers::mine(state, auth, None).await {
        Ok(items) => Ok(items),
        Err(TaskError::Forbidden | TaskError::NotConfigured) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The home page's list of a social organization's or volunteer's work under way (soonest first).
pub async fn home_tasks(state: &AppState, auth: &Authorized) -> Result<Vec<HomeTask>, PageError> {
    let mut items = own_offers(state, auth).await?;
    items.retain(|i| !i.offer.status.is_final());
    items.sort_by(|a, b| a.task.starts_at.cmp(&b.task.starts_at));
    Ok(items
        .into_iter()
        .map(|i| HomeTask {
            when: window_text(&i.task.starts_at, &i.task.ends_at),
            place: format!("{} {}", i.task.street, i.task.community),
            service: i.task.service,
            deadline: i.offer.deadline.to_rfc3339(),
            status: i.offer.status,
            status_label: i.offer.status_label,
            countdown: i
                .offer
                .seconds_to_deadline
                .map(countdown_text)
                .unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{countdown_text, window_text};

    #[test]
    fn a_countdown_reads_in_days_hours_and_minutes() {
        assert_eq!(countdown_text(0), "已过答复期限");
        assert_eq!(countdown_text(59), "剩余0小时00分");
        assert_eq!(countdown_text(5 * 3600 + 3 * 60 + 12), "剩余5小时03分");
        assert_eq!(countdown_text(86_400 + 3600), "剩余1天1小时00分");
    }

    #[test]
    fn a_window_reads_as_day_and_hours() {
        assert_eq!(
            window_text("2026-12-02T09:00", "2026-12-02T11:30"),
            "12月02日 09:00–11:30"
        );
    }
}
