//! Service tasks: created by street, community or district staff for a household of their area (one-off,
//! or a weekly rule that makes its occurrences at once), listed and read by whoever the task reaches, each
//! read in the audit log.

use nuanxin_ids::{FamilyId, TaskId, VolunteerId};
use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use nuanxin_db::models::tasks::{family_places, FamilyPlace, ServiceTask, TaskOffer, Volunteer};
use nuanxin_db::pool::TenantTx;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::family::FamilyStatus;
use nuanxin_domain::tasks::input::{TaskInput, TaskSpec};
use nuanxin_domain::tasks::TaskStatus;
use nuanxin_domain::ValidationErrors;
use serde_json::json;
use uuid::Uuid;

use super::views::{contact_aad, task_view, TaskView};
use super::{config, reach, Party, Place, TaskError};
use crate::audit;
use crate::auth::Authorized;
use crate::state::{AppState, District, Keys};

fn invalid(field: &str, code: &'static str, message: &str) -> TaskError {
    let mut e = ValidationErrors::default();
    e.push(field, code, message);
    TaskError::Validation(e)
}

/// A local time of the district as a moment (the earlier one of a repeated hour).
pub fn moment(district: &District, local: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    district
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Creates the task (each occurrence of a weekly rule as its own task of one series); returns them.
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    input: TaskInput,
) -> Result<Vec<TaskView>, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let now_local = district.local(Utc::now()).naive_local();
    let spec = input.validate(&cfg, now_local)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let place = reach(&mut tx, auth, &cfg).await?;
    if place.who != Party::Staff {
        return Err(TaskError::Forbidden);
    }
    let family = family_places(&mut tx, auth.scope, &[spec.family_id])
        .await?
        .pop()
        .ok_or_else(|| invalid("family_id", "not_found", "没有找到该家庭"))?;
    if family.status != FamilyStatus::Active {
        return Err(invalid("family_id", "exited", "该家庭已退出登记"));
    }
    // A proposal taken up: locked first, so two takers at once make one task (the second gets 409).
    let proposal = match spec.proposal_id {
        Some(id) => {
            let p = super::proposals::lock_open(&mut tx, auth, id).await?;
            if p.family_id != spec.family_id || p.service != spec.service {
                return Err(invalid(
                    "proposal_id",
                    "mismatch",
                    "任务的家庭或服务与该任务建议不符",
                ));
            }
            Some(p)
        }
        None => None,
    };
    let rows = task_rows(&state.keys, district, &spec, &family, &auth.actor.actor)?;
    let series_id = rows.first().map_or_else(Uuid::nil, |t| t.series_id);
    ServiceTask::insert_many(&mut tx, &rows).await?;
    if let Some(p) = &proposal {
        super::proposals::accept(&mut tx, p, series_id, &auth.actor.actor).await?;
    }
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "service_task.create",
        "service_task",
        &series_id.to_string(),
        json!({"family_id": family.id, "service": spec.service, "occurrences": rows.len(),
               "proposal_id": spec.proposal_id}),
    )
    .await?;
    tx.commit().await?;
    let names = |_: VolunteerId| None;
    Ok(rows
        .iter()
        .map(|t| task_view(state, district, &cfg, Party::Staff, t, &[], &names))
        .collect())
}

/// The rows of a checked task for `family`: one per occurrence, the first carrying the series' id (so a
/// one-off task's series is itself), the contact phone encrypted for its own row.
pub fn task_rows(
    keys: &Keys,
    district: &District,
    spec: &TaskSpec,
    family: &FamilyPlace,
    created_by: &str,
) -> Result<Vec<ServiceTask>, TaskError> {
    let series_id = Uuid::new_v4();
    let mut rows = Vec::with_capacity(spec.occurrences.len());
    for (i, (starts, ends)) in spec.occurrences.iter().enumerate() {
        let (Some(starts_at), Some(ends_at)) = (moment(district, *starts), moment(district, *ends))
        else {
            return Err(invalid(
                "starts_at",
                "invalid_time",
                "该时间在本地时区不存在",
            ));
        };
        let id = if i == 0 {
            TaskId::from_uuid(series_id)
        } else {
            TaskId::generate()
        };
        rows.push(ServiceTask {
            tenant_id: district.id,
            id,
            family_id: family.id,
            street_id: family.street_id,
            community_id: family.community_id,
            series_id,
            service: spec.service.clone(),
            qualifications: json!(spec.qualifications),
            starts_at,
            ends_at,
            place: spec.place.clone().unwrap_or_else(|| family.address.clone()),
            by_phone: spec.by_phone,
            helpers_needed: spec.helpers_needed as i16,
            urgency: spec.urgency,
            long_term: spec.long_term,
            contact_name: spec.contact_name.clone(),
            contact_phone_enc: spec
                .contact_phone
                .as_ref()
                .map(|p| {
                    keys.cipher
                        .try_encrypt(p.as_str().as_bytes(), &contact_aad(district, id))
                })
                .transpose()?,
            notes: spec.notes.clone(),
            status: TaskStatus::Open,
            closed_at: None,
            created_by: created_by.to_owned(),
            created_at: Utc::now(),
        });
    }
    Ok(rows)
}

/// Names of the volunteers on these offers.
pub async fn volunteer_names(
    conn: &mut AsyncPgConnection,
    offers: &[TaskOffer],
) -> Result<HashMap<VolunteerId, String>, TaskError> {
    let mut ids: Vec<VolunteerId> = offers
        .iter()
        .flat_map(|o| std::iter::once(o.volunteer_id).chain(o.assigned_volunteer_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(Volunteer::names(conn, &ids).await?.into_iter().collect())
}

/// Records that the caller saw these objects (`(id, family)` pairs): what a task or a proposal shows of
/// its household is family data.
pub(super) async fn record_read<Id: std::fmt::Display>(
    state: &AppState,
    auth: &Authorized,
    action: &str,
    object_type: &str,
    read: &[(Id, FamilyId)],
) -> Result<(), crate::audit::reads::ReadLogFull> {
    if read.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = read.iter().map(|(id, _)| id.to_string()).collect();
    let families: Vec<String> = read.iter().map(|(_, f)| f.to_string()).collect();
    let object = if read.len() == 1 {
        ids[0].clone()
    } else {
        String::new()
    };
    let event = audit::event(
        auth.district.id,
        &auth.actor,
        action,
        object_type,
        &object,
        json!({"objects": ids, "families": families}),
    );
    state
        .read_log
        .record(event, crate::audit::reads::WAIT)
        .await
}

fn reads_of(tasks: &[ServiceTask]) -> Vec<(TaskId, FamilyId)> {
    tasks.iter().map(|t| (t.id, t.family_id)).collect()
}

/// One task the caller reaches, with the offers they may see; the read is audited.
pub async fn get(state: &AppState, auth: &Authorized, id: TaskId) -> Result<TaskView, TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let Place { reach, who } = reach(&mut tx, auth, &cfg).await?;
    let task = ServiceTask::find(&mut tx, reach, id)
        .await?
        .ok_or(TaskError::NotFound("没有找到该服务任务"))?;
    let offers = TaskOffer::of_tasks(&mut tx, &[task.id]).await?;
    let names = volunteer_names(&mut tx, &offers).await?;
    tx.commit().await?;
    record_read(
        state,
        auth,
        "service_task.read",
        "service_task",
        &reads_of(std::slice::from_ref(&task)),
    )
    .await?;
    let name = |v: VolunteerId| names.get(&v).cloned();
    Ok(task_view(state, district, &cfg, who, &task, &offers, &name))
}

/// A page of the tasks the caller reaches, soonest first; the read is audited.
pub async fn list(
    state: &AppState,
    auth: &Authorized,
    status: Option<TaskStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TaskView>, i64), TaskError> {
    let district = &auth.district;
    let cfg = config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let Place { reach, who } = reach(&mut tx, auth, &cfg).await?;
    let (tasks, total) = ServiceTask::list(&mut tx, reach, status, limit, offset).await?;
    let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
    let offers = TaskOffer::of_tasks(&mut tx, &ids).await?;
    let names = volunteer_names(&mut tx, &offers).await?;
    tx.commit().await?;
    record_read(
        state,
        auth,
        "service_task.list",
        "service_task",
        &reads_of(&tasks),
    )
    .await?;
    let name = |v: VolunteerId| names.get(&v).cloned();
    let views = tasks
        .iter()
        .map(|t| task_view(state, district, &cfg, who, t, &offers, &name))
        .collect();
    Ok((views, total))
}
