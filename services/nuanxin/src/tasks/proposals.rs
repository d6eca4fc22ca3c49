//! Tasks proposed from entitlements: once a day per district (and on demand by the district or a street),
//! the register is evaluated and every family whose entitlements fire a rule of `matching.yaml`'s
//! `proposals` gets a proposal for its street, which takes it up by creating its task
//! (`service_tasks::create` with the proposal's id) or dismisses it with a reason.
//!
//! Idempotent and safe to run twice at once: a proposal is unique per family, program and service
//! (`TaskProposal::record_found`), a run only marks what it finds again, and open proposals lapse
//! only when a complete run did not find them. The whole outcome of a run is one transaction, and
//! runs at once write one after the other (`TaskProposal::lock_district`).

use chrono::NaiveDate;
use nuanxin_db::models::tasks::family_places;
use nuanxin_db::models::tasks::proposals::{Decision, ProposalFound, ProposalReach, TaskProposal};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::tasks::proposals::{propose, ProposalStatus};
use nuanxin_ids::{FamilyId, OrgUnitId};
use nuanxin_policy::{evaluate_with, Detail, Evaluation};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{config, TaskError};
use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::benefits::{fold_register, Access};
use crate::state::{AppState, District};
use nuanxin_access::Scope;

/// The job's name: in `job_runs`, and its audit records' actor (`system:propose_tasks`).
pub const JOB: &str = "propose_tasks";

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProposalRun {
    pub on: Option<NaiveDate>,
    /// The street it covered; None: the whole district.
    pub street_id: Option<OrgUnitId>,
    pub families: u64,
    /// Proposals the families' entitlements fire today (new or found again).
    pub found: u64,
    pub new: u64,
    /// Open proposals whose entitlement is gone.
    pub lapsed: u64,
    /// Why nothing was evaluated.
    pub skipped: Option<String>,
}

/// A proposal as the street sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalView {
    pub id: Uuid,
    pub family_id: FamilyId,
    /// The household's address, to find it by (the register's staff see it anyway).
    pub address: String,
    pub street: String,
    pub community: String,
    pub program: String,
    pub program_title: String,
    pub service: super::views::Named,
    /// `mother`, `father`; empty for the household.
    pub persons: Vec<String>,
    pub by_phone: bool,
    pub reason: String,
    pub status: ProposalStatus,
    pub status_label: &'static str,
    pub first_proposed_on: NaiveDate,
    pub seen_on: NaiveDate,
    /// The tasks made of it.
    pub task_series_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
}

fn view(district: &District, p: &TaskProposal, address: &str) -> ProposalView {
    let cfg = district.matching.as_deref();
    let status = p.status;
    ProposalView {
        id: p.id,
        family_id: p.family_id,
        address: address.to_owned(),
        street: district.orgs.name_of(p.street_id).to_owned(),
        community: district.orgs.name_of(p.community_id).to_owned(),
        program: p.program.clone(),
        program_title: district
            .policy
            .as_deref()
            .and_then(|policy| policy.program(&p.program))
            .map_or_else(|| p.program.clone(), |program| program.title.clone()),
        service: super::views::Named {
            code: p.service.clone(),
            name: cfg
                .map_or(p.service.as_str(), |c| c.skill_name(&p.service))
                .to_owned(),
        },
        persons: p
            .persons
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        by_phone: p.by_phone,
        reason: p.reason.clone(),
        status: p.status,
        status_label: status.label(),
        first_proposed_on: p.first_proposed_on,
        seen_on: p.seen_on,
        task_series_id: p.task_series_id,
        decision_reason: p.decision_reason.clone(),
        decided_by: p.decided_by.clone(),
    }
}

/// Evaluates the register (one street's families when given) on `on` and records the proposals.
pub async fn run(
    access: Access,
    district: &District,
    street: Option<OrgUnitId>,
    on: NaiveDate,
    actor: &Actor,
) -> Result<ProposalRun, TaskError> {
    let mut report = ProposalRun {
        on: Some(on),
        street_id: street,
        ..ProposalRun::default()
    };
    let cfg = config(district)?;
    let Some(policy) = district.policy.clone() else {
        report.skipped = Some("本区尚未配置政策".into());
        return Ok(report);
    };
    if cfg.proposals.is_empty() {
        report.skipped = Some("本区未配置根据待遇建议的服务任务".into());
        return Ok(report);
    }
    // Outside the policy's period nobody is entitled: nothing is proposed, and nothing lapses.
    if !policy.in_force_on(on) {
        report.skipped = Some(format!("{on}不在政策有效期内"));
        return Ok(report);
    }
    let (families, found) = fold_register(access.clone(), district.id, move |families| {
        let mut eval = Evaluation::default();
        let mut found = Vec::new();
        let mut count = 0u64;
        for family in families.filter(|f| street.is_none_or(|s| f.street_id == s)) {
            count += 1;
            evaluate_with(
                &policy,
                &family.facts,
                on,
                Detail::ENTITLEMENTS_ONLY,
                &mut eval,
            );
            for p in propose(&cfg, &policy, &eval, &family.facts) {
                found.push(ProposalFound {
                    family_id: family.id,
                    persons: p
                        .persons
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    program: p.program,
                    service: p.service,
                    by_phone: p.by_phone,
                    reason: p.reason,
                });
            }
        }
        (count, found)
    })
    .await?;
    report.families = families;
    report.found = found.len() as u64;
    let mut tx = TenantTx::begin(access.pool(), district.id).await?;
    TaskProposal::lock_district(&mut tx, district.id).await?;
    report.new = TaskProposal::record_found(&mut tx, on, &found).await?;
    report.lapsed = TaskProposal::lapse_not_found(&mut tx, &found, street).await? as u64;
    // As the newly-eligible check: a run that changed nothing leaves no record (it showed nobody
    // anything but counts).
    if report.new == 0 && report.lapsed == 0 {
        tx.commit().await?;
        return Ok(report);
    }
    audit::record(
        &tx,
        district.id,
        actor,
        "task_proposal.run",
        "register",
        &district.slug,
        json!({"on": on, "street_id": street, "families": report.families, "found": report.found,
               "new": report.new, "lapsed": report.lapsed}),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// The caller's reach over proposals: the register's staff by their scope (others 403).
pub fn proposal_reach(auth: &Authorized) -> Result<ProposalReach, TaskError> {
    match auth.scope {
        Scope::District => Ok(ProposalReach::District),
        Scope::Street(s) => Ok(ProposalReach::Street(s)),
        Scope::Community(c) => Ok(ProposalReach::Community(c)),
        Scope::Assigned { .. } | Scope::Nothing => Err(TaskError::Forbidden),
    }
}

/// A page of the proposals the caller reaches (of one status when given); the read is audited, as
/// a proposal says what a family is entitled to.
pub async fn list(
    state: &AppState,
    auth: &Authorized,
    status: Option<ProposalStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ProposalView>, i64), TaskError> {
    let district = &auth.district;
    config(district)?;
    let reach = proposal_reach(auth)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (rows, total) = TaskProposal::list(&mut tx, reach, status, limit, offset).await?;
    let ids: Vec<FamilyId> = rows.iter().map(|p| p.family_id).collect();
    let places = family_places(&mut tx, auth.scope, &ids).await?;
    tx.commit().await?;
    let address = |family: FamilyId| {
        places
            .iter()
            .find(|f| f.id == family)
            .map_or("", |f| f.address.as_str())
    };
    let read: Vec<(Uuid, FamilyId)> = rows.iter().map(|p| (p.id, p.family_id)).collect();
    super::service_tasks::record_read(state, auth, "task_proposal.list", "task_proposal", &read)
        .await?;
    let views = rows
        .iter()
        .map(|p| view(district, p, address(p.family_id)))
        .collect();
    Ok((views, total))
}

/// The open proposal `id` in the caller's reach, locked for a decision in `tx`.
pub async fn lock_open(
    tx: &mut TenantTx,
    auth: &Authorized,
    id: Uuid,
) -> Result<TaskProposal, TaskError> {
    let proposal = TaskProposal::lock(tx, proposal_reach(auth)?, id)
        .await?
        .ok_or(TaskError::NotFound("没有找到该任务建议"))?;
    if proposal.status != ProposalStatus::Open {
        return Err(TaskError::Conflict {
            code: "proposal_decided",
            message: format!("该任务建议已处理（{}）", proposal.status.label()),
        });
    }
    Ok(proposal)
}

/// Marks a proposal taken up by the tasks of `series`, in the transaction that created them.
pub async fn accept(
    tx: &mut TenantTx,
    proposal: &TaskProposal,
    series: Uuid,
    by: &str,
) -> Result<(), TaskError> {
    TaskProposal::decide(tx, proposal.id, &Decision::Accepted { series }, by).await?;
    Ok(())
}

/// Dismisses an open proposal with the street's reason; a later run does not propose it again.
pub async fn dismiss(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    reason: &str,
) -> Result<ProposalView, TaskError> {
    let district = &auth.district;
    config(district)?;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let mut proposal = lock_open(&mut tx, auth, id).await?;
    TaskProposal::decide(
        &mut tx,
        id,
        &Decision::Dismissed { reason },
        &auth.actor.actor,
    )
    .await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "task_proposal.dismiss",
        "task_proposal",
        &id.to_string(),
        json!({"family_id": proposal.family_id, "program": proposal.program, "service": proposal.service}),
    )
    .await?;
    let places = family_places(&mut tx, auth.scope, &[proposal.family_id]).await?;
    tx.commit().await?;
    proposal.status = ProposalStatus::Dismissed;
    proposal.decision_reason = Some(reason.to_owned());
    proposal.decided_by = Some(auth.actor.actor.clone());
    let address = places.first().map_or("", |f| f.address.as_str());
    Ok(view(district, &proposal, address))
}
