//! An offer's transitions, each in one transaction that locks the offer, applies the pure transition
//! (`OfferAction::apply`: a late accept is refused there), writes the change, the audit event and the
//! notices for the people it concerns: an answer to the street, an assignment to the volunteer, a no-show
//! to the organization and the street. The deadline, no-show and reminder work of the jobs is here too.

use chrono::{DateTime, Duration, Utc};
use nuanxin_db::models::assignment::{end_assignments, NewAssignment};
use nuanxin_db::models::tasks::{
    end_closed_tasks_assignments, raise_concern, staff_emails, NewNotice, OfferChange, ServiceTask,
    TaskOffer, TaskReach, Volunteer,
};
use nuanxin_db::pool::TenantTx;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::cost::{Model, OpenTask, Point, Visits, Volunteer as Helper};
use nuanxin_domain::tasks::input::{HeldQualification, Report};
use nuanxin_domain::tasks::{OfferAction, OfferStatus, OfferTimes, Slot, TaskStatus};
use nuanxin_ids::{OfferId, OrgUnitId, UserId, VolunteerId};
use serde_json::json;
use uuid::Uuid;

use super::cancel::ASSIGNMENT_SOURCE;
use super::views::{offer_view, OfferView};
use super::{config, reach, Party, TaskError};
use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::state::{AppState, District};

/// What the caller does to an offer.
#[derive(Debug, Clone)]
pub enum Step {
    Accept,
    Decline(String),
    Assign(VolunteerId),
    CheckIn,
    CheckOut(Report),
}

impl Step {
    fn action(&self) -> OfferAction {
        match self {
            Step::Accept => OfferAction::Accept,
            Step::Decline(_) => OfferAction::Decline,
            Step::Assign(_) => OfferAction::Assign,
            Step::CheckIn => OfferAction::CheckIn,
            Step::CheckOut(_) => OfferAction::CheckOut,
        }
    }
}

fn times(cfg: &MatchingConfig, offer: &TaskOffer, task: &ServiceTask) -> OfferTimes {
    OfferTimes {
        deadline: offer.deadline,
        starts_at: task.starts_at,
        ends_at: task.ends_at,
        grace: Duration::minutes(i64::from(cfg.grace_minutes)),
    }
}

/// Whether the caller may take this step on this offer: the organization answers and assigns its offers,
/// an independent volunteer answers their own, and the volunteer who goes checks in and out.
fn may(who: Party, step: &Step, offer: &TaskOffer) -> bool {
    match (who, step) {
        (Party::Organization(org), Step::Accept | Step::Decline(_) | Step::Assign(_)) => {
            offer.organization_id == Some(org)
        }
        (Party::Volunteer(v), Step::Accept | Step::Decline(_)) => {
            offer.organization_id.is_none() && offer.volunteer_id == v
        }
        (Party::Volunteer(v), Step::CheckIn | Step::CheckOut(_)) => {
            offer.assigned_volunteer_id == Some(v)
        }
        _ => false,
    }
}

/// Queues `kind` notices of `offer` to the staff of `unit`.
async fn notify_unit(
    conn: &mut AsyncPgConnection,
    district: &District,
    kind: &'static str,
    offer: OfferId,
    unit: OrgUnitId,
) -> Result<(), TaskError> {
    let notices: Vec<NewNotice> = staff_emails(conn, unit)
        .await?
        .into_iter()
        .map(|recipient| NewNotice {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            kind,
            offer_id: offer,
            recipient,
        })
        .collect();
    NewNotice::queue(conn, &notices).await?;
    Ok(())
}

/// Queues a `kind` notice of `offer` to a volunteer who has an e-mail address.
async fn notify_volunteer(
    conn: &mut AsyncPgConnection,
    district: &District,
    kind: &'static str,
    offer: OfferId,
    volunteer: &Volunteer,
) -> Result<(), TaskError> {
    if let Some(recipient) = volunteer.email.clone() {
        NewNotice::queue(
            conn,
            &[NewNotice {
                tenant_id: district.id,
                id: Uuid::new_v4(),
                kind,
                offer_id: offer,
                recipient,
            }],
        )
        .await?;
    }
    Ok(())
}

/// Whether `v` passes the district's hard filters for `task` (an organization naming another volunteer).
fn passes(
    cfg: &MatchingConfig,
    district: &District,
    task: &ServiceTask,
    v: &Volunteer,
    home: Option<Point>,
) -> bool {
    let quals: Vec<HeldQualification> =
        serde_json::from_value(v.qualifications.clone()).unwrap_or_default();
    let open = [OpenTask {
        family: task.family_id,
        service: task.service.clone(),
        qualifications: serde_json::from_value(task.qualifications.clone()).unwrap_or_default(),
        starts: district.local(task.starts_at).naive_local(),
        ends: district.local(task.ends_at).naive_local(),
        location: home,
        by_phone: task.by_phone,
        urgent: false,
        slots: 1,
        excluded: vec![],
        keep: None,
    }];
    let helper = [Helper {
        skills: serde_json::from_value(v.skills.clone()).unwrap_or_default(),
        qualifications: quals.into_iter().map(|q| (q.code, q.expires_on)).collect(),
        availability: serde_json::from_value::<Vec<Slot>>(v.availability.clone())
            .unwrap_or_default(),
        home: v
            .latitude
            .zip(v.longitude)
            .map(|(lat, lon)| Point { lat, lon }),
        weekly_max: v.weekly_max.max(0) as u32,
        held: 0,
        recent_offers: 0,
        no_shows: 0,
        preference: 0,
        busy: vec![],
    }];
    let visits = Visits::new();
    v.active && Model::new(cfg, &open, &helper, &visits).passes(0, 0)
}

/// Takes `step` on the caller's offer; returns the offer as it now stands.
pub async fn take(
    state: &AppState,
    auth: &Authorized,
    id: OfferId,
    step: Step,
) -> Result<OfferView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let now = Utc::now();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let place = reach(&mut tx, auth, &cfg).await?;
    let offer = TaskOffer::lock(&mut tx, id)
        .await?
        .filter(|o| may(place.who, &step, o))
        .ok_or(TaskError::NotFound("没有找到该任务邀请"))?;
    let task = ServiceTask::find(&mut tx, TaskReach::District, offer.task_id)
        .await?
        .ok_or(TaskError::NotFound("没有找到该服务任务"))?;
    let mut to = step
        .action()
        .apply(offer.status, &times(&cfg, &offer, &task), now)?;
    let mut change = OfferChange {
        updated_at: Some(now),
        ..OfferChange::default()
    };
    match &step {
        Step::Accept | Step::Decline(_) => {
            change.answered_by = Some(auth.actor.actor.clone());
            change.answered_at = Some(now);
            if let Step::Decline(reason) = &step {
                change.decline_reason = Some(reason.clone());
                change.ended_at = Some(now);
            }
            notify_unit(&mut tx, district, "answer", offer.id, task.street_id).await?;
            // An independent volunteer who accepts is the one who goes.
            if matches!(step, Step::Accept) && offer.organization_id.is_none() {
                to = OfferAction::Assign.apply(to, &times(&cfg, &offer, &task), now)?;
                change.assigned_volunteer_id = Some(offer.volunteer_id);
            }
            match &step {
                Step::Accept => {
                    let user = match offer.organization_id {
                        Some(_) => None,
                        None => Volunteer::find(&mut tx, offer.volunteer_id)
                            .await?
                            .and_then(|v| v.user_id),
                    };
                    give_household(&mut tx, district, &offer, &task, user).await?;
                }
                _ => {
                    end_assignments(&mut tx, ASSIGNMENT_SOURCE, offer.id.into(), now).await?;
                }
            }
        }
        Step::Assign(volunteer) => {
            let v = Volunteer::find(&mut tx, *volunteer)
                .await?
                .filter(|v| v.organization_id == offer.organization_id)
                .ok_or_else(|| invalid("volunteer_id", "not_found", "本机构没有该志愿者"))?;
            let others = TaskOffer::of_tasks(&mut tx, &[task.id]).await?;
            let on_task = others.iter().any(|o| {
                o.id != offer.id
                    && o.status.holds_slot()
                    && (o.assigned_volunteer_id == Some(v.id) || o.volunteer_id == v.id)
            });
            if on_task {
                return Err(invalid(
                    "volunteer_id",
                    "already_on_task",
                    "该志愿者已在此任务中",
                ));
            }
            let home = nuanxin_db::models::tasks::family_places(
                &mut tx,
                nuanxin_access::Scope::District,
                &[task.family_id],
            )
            .await?
            .pop()
            .and_then(|p| {
                Some(Point {
                    lat: p.latitude?,
                    lon: p.longitude?,
                })
            });
            if !passes(&cfg, district, &task, &v, home) {
                return Err(invalid(
                    "volunteer_id",
                    "not_eligible",
                    "该志愿者不符合此任务的技能、资质、时间或距离要求",
                ));
            }
            change.assigned_volunteer_id = Some(v.id);
            // A reassignment moves the volunteer's access to the household to the new one.
            give_household(&mut tx, district, &offer, &task, v.user_id).await?;
            notify_volunteer(&mut tx, district, "assignment", offer.id, &v).await?;
        }
        Step::CheckIn => change.checked_in_at = Some(now),
        Step::CheckOut(report) => {
            change.checked_out_at = Some(now);
            change.minutes = Some(report.minutes as i32);
            change.report = Some(report.report.clone());
            change.concern = report.concern.clone();
            change.ended_at = Some(now);
            if let Some(concern) = &report.concern {
                raise_concern(
                    &mut tx,
                    task.family_id,
                    task.street_id,
                    &task.service,
                    district.today(),
                    json!({"task_id": task.id, "offer_id": offer.id, "concern": concern}),
                )
                .await?;
            }
        }
    }
    change.status = Some(to);
    TaskOffer::change(&mut tx, offer.id, &change).await?;
    if matches!(step, Step::CheckOut(_)) {
        close_if_done(&mut tx, &task, now).await?;
        end_closed_tasks_assignments(&mut tx, cfg.closed_visible_days).await?;
    }
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        &format!("task_offer.{}", step.action().as_str()),
        "task_offer",
        &offer.id.to_string(),
        json!({"task_id": task.id, "family_id": task.family_id, "status": to.as_str()}),
    )
    .await?;
    let updated = TaskOffer::lock(&mut tx, offer.id)
        .await?
        .ok_or(TaskError::NotFound("没有找到该任务邀请"))?;
    let names =
        super::service_tasks::volunteer_names(&mut tx, std::slice::from_ref(&updated)).await?;
    tx.commit().await?;
    Ok(offer_view(
        district,
        &updated,
        &|v| names.get(&v).cloned(),
        now,
    ))
}

/// Gives the offer's organization (and `user`, the volunteer's account, when there is one) the task's
/// household through `family_assignments`, as the shared `Scope::Assigned` reads it; a reassignment
/// replaces the previous volunteer's account.
async fn give_household(
    conn: &mut AsyncPgConnection,
    district: &District,
    offer: &TaskOffer,
    task: &ServiceTask,
    user: Option<UserId>,
) -> Result<(), TaskError> {
    if offer.organization_id.is_none() && user.is_none() {
        return Ok(());
    }
    NewAssignment {
        tenant_id: district.id,
        source: ASSIGNMENT_SOURCE,
        source_id: offer.id.into(),
        family_id: task.family_id,
        user_id: user,
        org_unit_id: offer.organization_id,
    }
    .grant(conn)
    .await?;
    Ok(())
}

fn invalid(field: &str, code: &'static str, message: &str) -> TaskError {
    let mut e = nuanxin_domain::ValidationErrors::default();
    e.push(field, code, message);
    TaskError::Validation(e)
}

/// Closes the task as done once every helper it needed has checked out.
async fn close_if_done(
    conn: &mut AsyncPgConnection,
    task: &ServiceTask,
    now: DateTime<Utc>,
) -> Result<(), TaskError> {
    let offers = TaskOffer::of_tasks(conn, &[task.id]).await?;
    let done = offers
        .iter()
        .filter(|o| o.status == OfferStatus::Done)
        .count();
    if done >= task.helpers_needed as usize {
        ServiceTask::close(conn, task.id, TaskStatus::Done, now).await?;
    }
    Ok(())
}

/// The system as an actor of the jobs' transitions.
pub fn system(job: &str) -> Actor {
    Actor {
        user_id: UserId::SYSTEM,
        name: job.to_owned(),
        actor: format!("system:{job}"),
        request_id: None,
    }
}

/// Offers past their deadline become declines (the street is told); returns how many.
pub async fn expire_overdue(state: &AppState, district: &District) -> Result<usize, TaskError> {
    let cfg = config(district)?;
    let now = Utc::now();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let ids = TaskOffer::overdue(&mut tx, now).await?;
    let mut n = 0;
    for id in ids {
        let Some(offer) = TaskOffer::lock(&mut tx, id).await? else {
            continue;
        };
        let Some(task) = ServiceTask::find(&mut tx, TaskReach::District, offer.task_id).await?
        else {
            continue;
        };
        // Another node's transition may have come first: then the action no longer applies.
        let Ok(to) = OfferAction::Expire.apply(offer.status, &times(&cfg, &offer, &task), now)
        else {
            continue;
        };
        let change = OfferChange {
            status: Some(to),
            ended_at: Some(now),
            updated_at: Some(now),
            ..OfferChange::default()
        };
        TaskOffer::change(&mut tx, id, &change).await?;
        notify_unit(&mut tx, district, "answer", id, task.street_id).await?;
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}

/// Accepted and assigned offers whose window and grace period passed without a check-in become no-shows:
/// the volunteer's record counts it, the organization and the street are told, and the slot is free for
/// the next run. Tasks whose window is over are closed. Returns the no-shows.
pub async fn mark_no_shows(state: &AppState, district: &District) -> Result<usize, TaskError> {
    let cfg = config(district)?;
    let now = Utc::now();
    let grace = Duration::minutes(i64::from(cfg.grace_minutes));
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let ids = TaskOffer::missed(&mut tx, now - grace).await?;
    let mut n = 0;
    for id in ids {
        let Some(offer) = TaskOffer::lock(&mut tx, id).await? else {
            continue;
        };
        let Some(task) = ServiceTask::find(&mut tx, TaskReach::District, offer.task_id).await?
        else {
            continue;
        };
        let Ok(to) = OfferAction::MarkNoShow.apply(offer.status, &times(&cfg, &offer, &task), now)
        else {
            continue;
        };
        let change = OfferChange {
            status: Some(to),
            ended_at: Some(now),
            updated_at: Some(now),
            ..OfferChange::default()
        };
        TaskOffer::change(&mut tx, id, &change).await?;
        if let Some(v) = offer.assigned_volunteer_id {
            Volunteer::add_no_show(&mut tx, v).await?;
        }
        end_assignments(&mut tx, ASSIGNMENT_SOURCE, id.into(), now).await?;
        if let Some(org) = offer.organization_id {
            notify_unit(&mut tx, district, "no_show", id, org).await?;
        }
        notify_unit(&mut tx, district, "no_show", id, task.street_id).await?;
        audit::record(
            &tx,
            district.id,
            &system("task_deadlines"),
            "task_offer.no_show",
            "task_offer",
            &id.to_string(),
            json!({"task_id": task.id}),
        )
        .await?;
        n += 1;
    }
    ServiceTask::close_past(&mut tx, now - grace).await?;
    end_closed_tasks_assignments(&mut tx, cfg.closed_visible_days).await?;
    tx.commit().await?;
    Ok(n)
}

/// Queues a reminder to each assigned volunteer whose window starts within the district's reminder lead
/// time (once per offer, ever); returns how many were new.
pub async fn remind(state: &AppState, district: &District) -> Result<usize, TaskError> {
    let cfg = config(district)?;
    let now = Utc::now();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let due = TaskOffer::starting(
        &mut tx,
        now,
        now + Duration::hours(i64::from(cfg.reminder_hours)),
    )
    .await?;
    let mut notices = Vec::new();
    for (offer, volunteer) in due {
        if let Some(email) = Volunteer::find(&mut tx, volunteer)
            .await?
            .and_then(|v| v.email)
        {
            notices.push(NewNotice {
                tenant_id: district.id,
                id: Uuid::new_v4(),
                kind: "reminder",
                offer_id: offer,
                recipient: email,
            });
        }
    }
    let n = NewNotice::queue(&mut tx, &notices).await?;
    tx.commit().await?;
    Ok(n)
}

/// What an offer list shows of its task: no household field.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskSummary {
    pub service: String,
    pub starts_at: String,
    pub ends_at: String,
    pub street: String,
    pub community: String,
    pub by_phone: bool,
    pub status: TaskStatus,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct OfferItem {
    #[serde(flatten)]
    pub offer: OfferView,
    pub task: TaskSummary,
}

/// The caller's own offers (at most 200, newest first): an organization's, or a volunteer's.
pub async fn mine(
    state: &AppState,
    auth: &Authorized,
    status: Option<OfferStatus>,
) -> Result<Vec<OfferItem>, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let place = reach(&mut tx, auth, &cfg).await?;
    let (org, volunteer) = match place.who {
        Party::Organization(o) => (Some(o), None),
        Party::Volunteer(v) => (None, Some(v)),
        Party::Staff | Party::Nobody => return Err(TaskError::Forbidden),
    };
    let offers = TaskOffer::list(&mut tx, org, volunteer, status, 200).await?;
    let mut items = Vec::with_capacity(offers.len());
    let names = super::service_tasks::volunteer_names(&mut tx, &offers).await?;
    let now = Utc::now();
    let local = |at: DateTime<Utc>| district.local(at).format("%Y-%m-%dT%H:%M").to_string();
    for o in &offers {
        // Offers of tasks closed longer ago than the district shows are left out.
        let Some(t) = ServiceTask::find(&mut tx, place.reach, o.task_id).await? else {
            continue;
        };
        items.push(OfferItem {
            offer: offer_view(district, o, &|v| names.get(&v).cloned(), now),
            task: TaskSummary {
                service: cfg.skill_name(&t.service).to_owned(),
                starts_at: local(t.starts_at),
                ends_at: local(t.ends_at),
                street: district.orgs.name_of(t.street_id).to_owned(),
                community: district.orgs.name_of(t.community_id).to_owned(),
                by_phone: t.by_phone,
                status: t.status,
            },
        });
    }
    tx.commit().await?;
    Ok(items)
}
