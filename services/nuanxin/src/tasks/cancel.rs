//! Cancelling a task (street, community or district staff, for a task of their area): in one
//! transaction the task's offers not yet under way are withdrawn (`OfferAction::Withdraw`), the
//! households' access they gave ends, the reason is kept, the task closes as cancelled, and each person
//! concerned — the organization's staff, the assigned or independent volunteer — gets one notice.
//!
//! Locks are taken in the order an answer takes them (the task's offers, then the task), so a cancel and
//! an accept at once apply one after the other: an accept that came first is withdrawn with the rest,
//! one that came second finds the offer withdrawn (409). A matching run that read the task as open
//! cannot offer it afterwards: its insert waits for the task's lock and then skips the cancelled task.

use nuanxin_ids::{OfferId, TaskId, VolunteerId};
use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use nuanxin_db::models::assignment::end_assignments;
use nuanxin_db::models::tasks::{
    staff_emails, NewCancellation, NewNotice, OfferChange, ServiceTask, TaskOffer, Volunteer,
};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::tasks::{OfferAction, OfferStatus, OfferTimes, TaskStatus};
use serde_json::json;
use uuid::Uuid;

use super::views::{task_view, TaskView};
use super::{config, reach, Party, TaskError};
use crate::audit;
use crate::auth::Authorized;
use crate::state::AppState;

/// The source of the households' access a task's offer gives (`family_assignments.source`).
pub const ASSIGNMENT_SOURCE: &str = "task";

fn conflict(code: &'static str, message: &str) -> TaskError {
    TaskError::Conflict {
        code,
        message: message.to_owned(),
    }
}

/// Cancels the caller's task with `reason` (checked by the caller's input); returns it as it now stands.
pub async fn cancel(
    state: &AppState,
    auth: &Authorized,
    id: TaskId,
    reason: &str,
) -> Result<TaskView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let now = Utc::now();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let place = reach(&mut tx, auth, &cfg).await?;
    if place.who != Party::Staff {
        return Err(TaskError::Forbidden);
    }
    let not_found = || TaskError::NotFound("没有找到该服务任务");
    ServiceTask::find(&mut tx, place.reach, id)
        .await?
        .ok_or_else(not_found)?;
    TaskOffer::lock_of_task(&mut tx, id).await?;
    let task = ServiceTask::lock(&mut tx, place.reach, id)
        .await?
        .ok_or_else(not_found)?;
    match task.status {
        TaskStatus::Open => {}
        TaskStatus::Cancelled => return Err(conflict("already_cancelled", "该任务已取消")),
        _ => return Err(conflict("task_closed", "该任务已结束，不能取消")),
    }
    // Offers a run wrote while this transaction waited for the task are locked now too.
    let offers = TaskOffer::lock_of_task(&mut tx, id).await?;
    if offers.iter().any(|o| o.status == OfferStatus::CheckedIn) {
        return Err(conflict(
            "in_progress",
            "志愿者已签到，服务正在进行，不能取消",
        ));
    }
    // recipient → the offer the notice names: one notice per person, however many offers they had.
    let mut told: BTreeMap<String, OfferId> = BTreeMap::new();
    for offer in &offers {
        let from = offer.status;
        let times = OfferTimes {
            deadline: offer.deadline,
            starts_at: task.starts_at,
            ends_at: task.ends_at,
            grace: Duration::minutes(i64::from(cfg.grace_minutes)),
        };
        let Ok(to) = OfferAction::Withdraw.apply(from, &times, now) else {
            continue;
        };
        let change = OfferChange {
            status: Some(to),
            ended_at: Some(now),
            updated_at: Some(now),
            ..OfferChange::default()
        };
        TaskOffer::change(&mut tx, offer.id, &change).await?;
        end_assignments(&mut tx, ASSIGNMENT_SOURCE, offer.id.into(), now).await?;
        if let Some(org) = offer.organization_id {
            for email in staff_emails(&mut tx, org).await? {
                told.entry(email).or_insert(offer.id);
            }
        }
        let volunteer = offer.assigned_volunteer_id.or(offer
            .organization_id
            .is_none()
            .then_some(offer.volunteer_id));
        if let Some(v) = volunteer {
            if let Some(email) = Volunteer::find(&mut tx, v).await?.and_then(|v| v.email) {
                told.entry(email).or_insert(offer.id);
            }
        }
    }
    let recorded = NewCancellation {
        tenant_id: district.id,
        task_id: id,
        reason,
        cancelled_by: &auth.actor.actor,
    }
    .insert(&mut tx)
    .await?;
    if !recorded || !ServiceTask::close(&mut tx, id, TaskStatus::Cancelled, now).await? {
        return Err(conflict("already_cancelled", "该任务已取消"));
    }
    let notices: Vec<NewNotice> = told
        .into_iter()
        .map(|(recipient, offer_id)| NewNotice {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            kind: "cancel",
            offer_id,
            recipient,
        })
        .collect();
    NewNotice::queue(&mut tx, &notices).await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "service_task.cancel",
        "service_task",
        &id.to_string(),
        json!({"family_id": task.family_id, "reason": reason, "notified": notices.len()}),
    )
    .await?;
    let task = ServiceTask::find(&mut tx, place.reach, id)
        .await?
        .ok_or_else(not_found)?;
    let offers = TaskOffer::of_tasks(&mut tx, &[id]).await?;
    let names = super::service_tasks::volunteer_names(&mut tx, &offers).await?;
    tx.commit().await?;
    let name = |v: VolunteerId| names.get(&v).cloned();
    Ok(task_view(
        state,
        district,
        &cfg,
        Party::Staff,
        &task,
        &offers,
        &name,
    ))
}
