//! A matching run: the open tasks starting within the district's horizon (one street's, or the whole
//! district's), the active volunteers with their week's load, recent offers, no-shows, busy windows and
//! past visits, through the cost model and the exact engine, to one offer per filled helper slot.
//!
//! Read, solve, write: the read is one short transaction, the solve runs on a blocking thread with no
//! transaction open, and the write is one transaction that inserts the offers with `ON CONFLICT DO
//! NOTHING` against the live-slot index. Two runs at once therefore never offer one slot twice: the second
//! finds the first's row and skips it (and does not count or mail it). Declined, expired and no-show
//! offers have freed their slot and named their volunteer as excluded, so they re-enter the next run.

use nuanxin_ids::{FamilyId, MatchingRunId, OfferId, OrgUnitId, TaskId, VolunteerId};
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use nuanxin_db::models::tasks::{
    family_places, staff_emails, MatchingRun, NewMatchingRun, NewNotice, ServiceTask, TaskOffer,
    TaskReach, Volunteer,
};
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_domain::tasks::config::MatchingConfig;
use nuanxin_domain::tasks::cost::{Model, OpenTask, Outcome, Point, Visits, Volunteer as Helper};
use nuanxin_domain::tasks::input::HeldQualification;
use nuanxin_domain::tasks::{OfferStatus, Slot, Urgency};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::views::Named;
use super::{config, TaskError};
use crate::state::{AppState, District};

/// A proposed match as the run reports it.
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    pub offer_id: OfferId,
    pub task_id: TaskId,
    pub service: Named,
    pub starts_at: String,
    pub volunteer: super::views::Person,
    pub organization: Option<Named>,
    pub reasons: String,
    pub deadline: DateTime<Utc>,
}

/// A task left short, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct UnfilledView {
    pub task_id: TaskId,
    pub service: String,
    pub starts_at: String,
    pub missing: u32,
    pub why: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub id: MatchingRunId,
    pub started_at: DateTime<Utc>,
    pub street: Option<String>,
    pub tasks: i32,
    pub candidates: i32,
    pub cost: i64,
    pub matches: Vec<MatchView>,
    pub unfilled: Vec<UnfilledView>,
}

/// Everything a run reads, in the shape the model takes.
struct Inputs {
    tasks: Vec<ServiceTask>,
    /// Per task: the helper slots still free.
    free_slots: Vec<Vec<i16>>,
    open: Vec<OpenTask>,
    volunteers: Vec<Volunteer>,
    helpers: Vec<Helper>,
    visits: Visits,
}

fn local(district: &District, at: DateTime<Utc>) -> chrono::NaiveDateTime {
    district.local(at).naive_local()
}

async fn read_inputs(
    pool: &DbPool,
    district: &District,
    cfg: &MatchingConfig,
    street: Option<OrgUnitId>,
    now: DateTime<Utc>,
) -> Result<Inputs, TaskError> {
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let until = now + Duration::days(i64::from(cfg.horizon_days));
    let tasks = ServiceTask::to_match(&mut tx, street, now, until).await?;
    let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
    let offers = TaskOffer::of_tasks(&mut tx, &ids).await?;
    let volunteers = Volunteer::active(&mut tx).await?;
    let recent = now - Duration::days(i64::from(cfg.recent_offer_days));
    let loads = TaskOffer::loads(&mut tx, now, now + Duration::days(7), recent).await?;
    let busy = TaskOffer::busy(&mut tx, now).await?;
    let mut families: Vec<FamilyId> = tasks.iter().map(|t| t.family_id).collect();
    families.sort_unstable();
    families.dedup();
    let visits = TaskOffer::visits(&mut tx, &families).await?;
    let pairings = TaskOffer::pairings(&mut tx, &families).await?;
    let places = family_places(&mut tx, nuanxin_access::Scope::District, &families).await?;
    tx.commit().await?;

    let index: HashMap<VolunteerId, usize> = volunteers
        .iter()
        .enumerate()
        .map(|(i, v)| (v.id, i))
        .collect();
    let points: HashMap<FamilyId, Point> = places
        .iter()
        .filter_map(|p| {
            Some((
                p.id,
                Point {
                    lat: p.latitude?,
                    lon: p.longitude?,
                },
            ))
        })
        .collect();
    let mut by_task: HashMap<TaskId, Vec<&TaskOffer>> = HashMap::new();
    for o in &offers {
        by_task.entry(o.task_id).or_default().push(o);
    }
    let paired: HashMap<(FamilyId, &str), usize> = pairings
        .iter()
        .filter_map(|p| {
            Some((
                (p.family_id, p.service.as_str()),
                *index.get(&p.volunteer_id)?,
            ))
        })
        .collect();
    let mut free_slots = Vec::with_capacity(tasks.len());
    let mut open = Vec::with_capacity(tasks.len());
    for t in &tasks {
        let mine = by_task.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let taken: Vec<i16> = mine
            .iter()
            .filter(|o| o.status.holds_slot())
            .map(|o| o.slot)
            .collect();
        let free: Vec<i16> = (1..=t.helpers_needed)
            .filter(|s| !taken.contains(s))
            .collect();
        open.push(OpenTask {
            family: t.family_id,
            service: t.service.clone(),
            qualifications: serde_json::from_value(t.qualifications.clone()).unwrap_or_default(),
            starts: local(district, t.starts_at),
            ends: local(district, t.ends_at),
            location: points.get(&t.family_id).copied(),
            by_phone: t.by_phone,
            urgent: t.urgency == Urgency::Urgent,
            slots: free.len() as u32,
            excluded: mine
                .iter()
                .flat_map(|o| std::iter::once(o.volunteer_id).chain(o.assigned_volunteer_id))
                .filter_map(|v| index.get(&v).copied())
                .collect(),
            keep: t
                .long_term
                .then(|| paired.get(&(t.family_id, t.service.as_str())).copied())
                .flatten(),
        });
        free_slots.push(free);
    }
    let load: HashMap<VolunteerId, (u32, u32)> = loads
        .iter()
        .map(|l| {
            (
                l.volunteer_id,
                (l.held.max(0) as u32, l.recent.max(0) as u32),
            )
        })
        .collect();
    let mut windows: HashMap<VolunteerId, Vec<(chrono::NaiveDateTime, chrono::NaiveDateTime)>> =
        HashMap::new();
    for b in &busy {
        windows
            .entry(b.volunteer_id)
            .or_default()
            .push((local(district, b.starts_at), local(district, b.ends_at)));
    }
    let helpers = volunteers
        .iter()
        .map(|v| {
            let (held, recent) = load.get(&v.id).copied().unwrap_or((0, 0));
            let quals: Vec<HeldQualification> =
                serde_json::from_value(v.qualifications.clone()).unwrap_or_default();
            Helper {
                skills: serde_json::from_value(v.skills.clone()).unwrap_or_default(),
                qualifications: quals.into_iter().map(|q| (q.code, q.expires_on)).collect(),
                availability: serde_json::from_value::<Vec<Slot>>(v.availability.clone())
                    .unwrap_or_default(),
                home: v
                    .latitude
                    .zip(v.longitude)
                    .map(|(lat, lon)| Point { lat, lon }),
                weekly_max: v.weekly_max.max(0) as u32,
                held,
                recent_offers: recent,
                no_shows: v.no_shows.max(0) as u32,
                preference: v.preference.clamp(0, 3) as u8,
                busy: windows.remove(&v.id).unwrap_or_default(),
            }
        })
        .collect();
    let visits = visits
        .iter()
        .filter_map(|v| {
            Some((
                (v.family_id, *index.get(&v.volunteer_id)?),
                v.visits.max(0) as u32,
            ))
        })
        .collect();
    Ok(Inputs {
        tasks,
        free_slots,
        open,
        volunteers,
        helpers,
        visits,
    })
}

/// How long each part of a run took, in seconds (`nuanxin matching run` prints them).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Phases {
    /// The one read transaction and shaping its rows for the model.
    pub read: f64,
    /// Candidates, costs, the exact solve and the reasons.
    pub model: f64,
    /// The offers, the run and the notices, in one transaction.
    pub write: f64,
}

/// Runs the matching over one street's open tasks (or the district's) and writes the offers.
pub async fn run(
    pool: &DbPool,
    district: &District,
    street: Option<OrgUnitId>,
    started_by: &str,
) -> Result<RunView, TaskError> {
    run_timed(pool, district, street, started_by)
        .await
        .map(|(view, _)| view)
}

/// [`run`], with the time of each part.
pub async fn run_timed(
    pool: &DbPool,
    district: &District,
    street: Option<OrgUnitId>,
    started_by: &str,
) -> Result<(RunView, Phases), TaskError> {
    let cfg = config(district)?;
    let now = Utc::now();
    let clock = std::time::Instant::now();
    let inputs = read_inputs(pool, district, &cfg, street, now).await?;
    let read = clock.elapsed().as_secs_f64();
    let (inputs, outcome) = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || {
            let outcome = Model::new(&cfg, &inputs.open, &inputs.helpers, &inputs.visits).propose();
            outcome.map(|o| (inputs, o))
        })
        .await??
    };
    let model = clock.elapsed().as_secs_f64() - read;
    let view = write(
        pool, district, &cfg, street, started_by, now, &inputs, &outcome,
    )
    .await?;
    let write = clock.elapsed().as_secs_f64() - read - model;
    Ok((view, Phases { read, model, write }))
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site, the run's own parts"
)]
async fn write(
    pool: &DbPool,
    district: &District,
    cfg: &MatchingConfig,
    street: Option<OrgUnitId>,
    started_by: &str,
    now: DateTime<Utc>,
    inputs: &Inputs,
    outcome: &Outcome,
) -> Result<RunView, TaskError> {
    let run_id = MatchingRunId::generate();
    let local_text = |at: DateTime<Utc>| district.local(at).format("%Y-%m-%dT%H:%M").to_string();
    let unfilled: Vec<UnfilledView> = outcome
        .unfilled
        .iter()
        .map(|u| {
            let t = &inputs.tasks[u.task];
            UnfilledView {
                task_id: t.id,
                service: cfg.skill_name(&t.service).to_owned(),
                starts_at: local_text(t.starts_at),
                missing: u.missing,
                why: u.why.clone(),
            }
        })
        .collect();
    let mut next_slot = vec![0usize; inputs.tasks.len()];
    let rows: Vec<TaskOffer> = outcome
        .proposals
        .iter()
        .filter_map(|p| {
            let t = &inputs.tasks[p.task];
            let slot = *inputs.free_slots[p.task].get(next_slot[p.task])?;
            next_slot[p.task] += 1;
            let v = &inputs.volunteers[p.helper];
            let deadline =
                (now + Duration::hours(i64::from(cfg.offer_deadline_hours))).min(t.starts_at);
            Some(TaskOffer {
                tenant_id: district.id,
                id: OfferId::generate(),
                task_id: t.id,
                run_id,
                slot,
                volunteer_id: v.id,
                organization_id: v.organization_id,
                assigned_volunteer_id: None,
                status: OfferStatus::Offered,
                cost: i64::try_from(p.cost.total).unwrap_or(i64::MAX),
                reasons: p.reasons.clone(),
                deadline,
                decline_reason: None,
                answered_by: None,
                answered_at: None,
                checked_in_at: None,
                checked_out_at: None,
                minutes: None,
                report: None,
                concern: None,
                ended_at: None,
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    let mut tx = TenantTx::begin(pool, district.id).await?;
    NewMatchingRun {
        tenant_id: district.id,
        id: run_id,
        started_by: started_by.to_owned(),
        street_id: street,
        tasks: inputs.tasks.len() as i32,
        candidates: outcome.candidates as i32,
        offers: 0,
        cost: i64::try_from(outcome.total_cost).unwrap_or(i64::MAX),
        unfilled: json!(unfilled),
    }
    .insert(&mut tx)
    .await?;
    let written = TaskOffer::insert_new(&mut tx, &rows).await?;
    NewMatchingRun::set_offers(&mut tx, run_id, written.len() as i32).await?;
    let by_id: HashMap<VolunteerId, &Volunteer> =
        inputs.volunteers.iter().map(|v| (v.id, v)).collect();
    let mut notices = Vec::new();
    let mut org_staff: HashMap<OrgUnitId, Vec<String>> = HashMap::new();
    for o in &written {
        let recipients = match o.organization_id {
            Some(org) => {
                if let std::collections::hash_map::Entry::Vacant(e) = org_staff.entry(org) {
                    e.insert(staff_emails(&mut tx, org).await?);
                }
                org_staff.get(&org).cloned().unwrap_or_default()
            }
            None => by_id
                .get(&o.volunteer_id)
                .and_then(|v| v.email.clone())
                .into_iter()
                .collect(),
        };
        notices.extend(recipients.into_iter().map(|recipient| NewNotice {
            tenant_id: district.id,
            id: Uuid::new_v4(),
            kind: "offer",
            offer_id: o.id,
            recipient,
        }));
    }
    NewNotice::queue(&mut tx, &notices).await?;
    tx.commit().await?;
    Ok(run_view(
        district,
        cfg,
        &MatchingRun {
            tenant_id: district.id,
            id: run_id,
            started_by: started_by.to_owned(),
            street_id: street,
            started_at: now,
            tasks: inputs.tasks.len() as i32,
            candidates: outcome.candidates as i32,
            offers: written.len() as i32,
            cost: i64::try_from(outcome.total_cost).unwrap_or(i64::MAX),
            unfilled: json!(unfilled),
        },
        &written,
        &inputs.tasks,
        &|id| by_id.get(&id).map(|v| v.name.clone()),
    ))
}

/// A run with its offers, as the API and the console show it.
pub fn run_view(
    district: &District,
    cfg: &MatchingConfig,
    run: &MatchingRun,
    offers: &[TaskOffer],
    tasks: &[ServiceTask],
    names: &dyn Fn(VolunteerId) -> Option<String>,
) -> RunView {
    let tasks: HashMap<TaskId, &ServiceTask> = tasks.iter().map(|t| (t.id, t)).collect();
    let local_text = |at: DateTime<Utc>| district.local(at).format("%Y-%m-%dT%H:%M").to_string();
    RunView {
        id: run.id,
        started_at: run.started_at,
        street: run.street_id.map(|s| district.orgs.name_of(s).to_owned()),
        tasks: run.tasks,
        candidates: run.candidates,
        cost: run.cost,
        matches: offers
            .iter()
            .filter_map(|o| {
                let t = tasks.get(&o.task_id)?;
                Some(MatchView {
                    offer_id: o.id,
                    task_id: o.task_id,
                    service: Named {
                        code: t.service.clone(),
                        name: cfg.skill_name(&t.service).to_owned(),
                    },
                    starts_at: local_text(t.starts_at),
                    volunteer: super::views::Person {
                        id: o.volunteer_id,
                        name: names(o.volunteer_id).unwrap_or_default(),
                    },
                    organization: o
                        .organization_id
                        .and_then(|u| district.orgs.get(u))
                        .map(|u| Named {
                            code: u.code.clone(),
                            name: u.name.clone(),
                        }),
                    reasons: o.reasons.clone(),
                    deadline: o.deadline,
                })
            })
            .collect(),
        unfilled: serde_json::from_value(run.unfilled.clone()).unwrap_or_default(),
    }
}

/// A run the caller reaches (a street its own street's runs), with its offers.
pub async fn get(
    state: &AppState,
    district: &District,
    reach: TaskReach,
    id: MatchingRunId,
) -> Result<RunView, TaskError> {
    let cfg = config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let run = MatchingRun::find(&mut tx, id)
        .await?
        .filter(|r| match reach {
            TaskReach::District => true,
            TaskReach::Street(s) => r.street_id == Some(s),
            _ => false,
        })
        .ok_or(TaskError::NotFound("没有找到该次匹配"))?;
    let offers = TaskOffer::of_run(&mut tx, id).await?;
    let task_ids: Vec<TaskId> = offers.iter().map(|o| o.task_id).collect();
    let mut tasks = Vec::new();
    for tid in task_ids {
        if let Some(t) = ServiceTask::find(&mut tx, reach, tid).await? {
            tasks.push(t);
        }
    }
    let names = super::service_tasks::volunteer_names(&mut tx, &offers).await?;
    tx.commit().await?;
    Ok(run_view(district, &cfg, &run, &offers, &tasks, &|v| {
        names.get(&v).cloned()
    }))
}
