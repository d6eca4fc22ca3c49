//! The newly-eligible job: once a day, evaluate the register and compare each family with what was
//! last seen (`entitlement_snapshots`); every change (a parent turned 60, a mother turned 45, a
//! condition no longer met) becomes a follow-up item for the family's street.
//!
//! Idempotent and safe on several nodes: the scheduler claims the day per district (`jobs`: one node
//! runs it), follow-ups are unique per family, change and date, and a snapshot is never replaced by an
//! older one. A run that dies half-way loses nothing: the families it did not reach still differ
//! from their snapshot the next day.

use chrono::NaiveDate;
use nuanxin_db::models::benefit::register_page;
use nuanxin_db::models::follow_up::{NewFollowUp, Snapshot};
use nuanxin_db::pool::TenantTx;
use nuanxin_ids::{FamilyId, TenantId, UserId};
use nuanxin_policy::{
    compare, evaluate, evaluate_with, Detail, Entitlement, EntitlementRef, Evaluation, Period,
    Policy, Role,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{facts_of, person_key, Access, BenefitError, PAGE};
use crate::audit::{self, Actor};
use crate::registry::Codec;
use crate::state::District;

/// The job's name: in `job_runs`, and its audit records' actor (`system:newly_eligible`).
pub const JOB: &str = "newly_eligible";

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub on: Option<NaiveDate>,
    pub families: u64,
    /// Families seen for the first time (their snapshot is the baseline; no follow-up).
    pub baselined: u64,
    pub families_changed: u64,
    pub follow_ups_created: u64,
    /// Why nothing was evaluated (no policy, or none in force on the date).
    pub skipped: Option<String>,
}

/// One entitlement as the snapshot keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    program: String,
    person: Option<Role>,
    amount_cny: Option<i64>,
    period: Period,
    payer: String,
}

fn snapshot_json(eval: &Evaluation<'_>) -> serde_json::Value {
    let seen: Vec<Seen> = eval
        .entitlements
        .iter()
        .map(|e| Seen {
            program: e.program.to_string(),
            person: e.person,
            amount_cny: e.amount_cny,
            period: e.period,
            payer: e.payer.to_string(),
        })
        .collect();
    serde_json::to_value(seen).unwrap_or_default()
}

/// The snapshot's entitlements; `None` when it does not read (then the family is baselined again
/// rather than reported as gaining everything).
fn seen_of(snapshot: &serde_json::Value) -> Option<Vec<Seen>> {
    serde_json::from_value(snapshot.clone()).ok()
}

/// The snapshot as an evaluation for [`compare`], borrowing its texts.
fn evaluation_of(seen: &[Seen]) -> Evaluation<'_> {
    Evaluation {
        notices: Vec::new(),
        missed: Vec::new(),
        entitlements: seen
            .iter()
            .map(|s| Entitlement {
                program: &s.program,
                person: s.person,
                amount_cny: s.amount_cny,
                period: s.period,
                payer: &s.payer,
                basis: "",
                reasons: Vec::new(),
            })
            .collect(),
    }
}

/// Compares every active family's entitlements on `on` with its snapshot and creates follow-ups.
pub async fn run(
    access: Access,
    district: &District,
    on: NaiveDate,
) -> Result<RunReport, BenefitError> {
    let mut report = RunReport {
        on: Some(on),
        ..RunReport::default()
    };
    let Some(policy) = district.policy.clone() else {
        report.skipped = Some("本区尚未配置政策".into());
        return Ok(report);
    };
    // Outside the policy's period every family would "lose" everything: nothing to compare.
    if !policy.in_force_on(on) {
        report.skipped = Some(format!("{on}不在政策有效期内"));
        return Ok(report);
    }
    let tenant_id = district.id;
    let mut after = None;
    loop {
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        let page = register_page(&mut tx, after, PAGE, true).await?;
        let ids: Vec<FamilyId> = page.iter().map(|r| r.family.id).collect();
        let snapshots = Snapshot::of_families(&mut tx, &ids).await?;
        tx.commit().await?;
        let Some(last) = page.last() else { break };
        after = Some(last.family.id);
        report.families += page.len() as u64;
        let (worker_access, worker_policy) = (access.clone(), policy.clone());
        let outcome = tokio::task::spawn_blocking(move || {
            let codec = Codec::new(worker_access.keys(), tenant_id);
            compare_page(&codec, &worker_policy, tenant_id, on, &page, &snapshots)
        })
        .await??;
        report.baselined += outcome.baselined;
        report.families_changed += outcome.changed;
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        Snapshot::upsert_many(&mut tx, &outcome.snapshots).await?;
        report.follow_ups_created +=
            NewFollowUp::insert_new(&mut tx, &outcome.follow_ups).await? as u64;
        tx.commit().await?;
    }
    if report.follow_ups_created > 0 {
        let actor = Actor {
            user_id: UserId::SYSTEM,
            name: "新符合条件检查".into(),
            actor: format!("system:{JOB}"),
            request_id: None,
        };
        let tx = TenantTx::begin(access.pool(), tenant_id).await?;
        audit::record(
            &tx,
            tenant_id,
            &actor,
            "follow_up.create",
            "register",
            &district.slug,
            json!({"on": on, "families_changed": report.families_changed, "follow_ups": report.follow_ups_created}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

struct PageOutcome {
    snapshots: Vec<Snapshot>,
    follow_ups: Vec<NewFollowUp>,
    baselined: u64,
    changed: u64,
}

fn compare_page(
    codec: &Codec<'_>,
    policy: &Policy,
    tenant_id: TenantId,
    on: NaiveDate,
    page: &[nuanxin_db::models::family::FamilyRecord],
    snapshots: &[Snapshot],
) -> Result<PageOutcome, BenefitError> {
    let mut out = PageOutcome {
        snapshots: Vec::new(),
        follow_ups: Vec::new(),
        baselined: 0,
        changed: 0,
    };
    let mut eval = Evaluation::default();
    for record in page {
        let id = record.family.id;
        let (_, facts) = facts_of(codec, record)?;
        evaluate_with(policy, &facts, on, Detail::ENTITLEMENTS_ONLY, &mut eval);
        let snapshot = Snapshot {
            tenant_id,
            family_id: id,
            programs: snapshot_json(&eval),
            evaluated_on: on,
        };
        let seen = snapshots.iter().find(|s| s.family_id == id);
        if seen.is_some_and(|s| s.evaluated_on > on) {
            // A later run has already seen this family.
            continue;
        }
        let Some(before) = seen.and_then(|s| seen_of(&s.programs)) else {
            out.baselined += 1;
            out.snapshots.push(snapshot);
            continue;
        };
        let changes = compare(&evaluation_of(&before), &eval);
        if changes.is_empty() {
            continue;
        }
        out.changed += 1;
        // Only families that lost something are explained in full (which condition now fails).
        let explained = (!changes.lost.is_empty()).then(|| evaluate(policy, &facts, on));
        let title = |code: &str| {
            policy
                .program(code)
                .map_or(code.to_owned(), |p| p.title.clone())
        };
        let who = |e: &EntitlementRef| e.person.map_or("家庭", Role::label);
        let mut push = |change: &str, e: &EntitlementRef, detail: serde_json::Value| {
            out.follow_ups.push(NewFollowUp {
                tenant_id,
                id: Uuid::new_v4(),
                family_id: id,
                street_id: record.family.street_id,
                change: change.to_owned(),
                program: e.program.clone(),
                person: person_key(e.person).to_owned(),
                detail,
                created_on: on,
            });
        };
        for e in &changes.gained {
            let summary = format!("{}新符合“{}”", who(e), title(&e.program));
            push(
                "gained",
                e,
                json!({"summary": summary, "amount_cny": e.amount_cny, "period": e.period}),
            );
        }
        for e in &changes.lost {
            let why = explained
                .as_ref()
                .and_then(|x| {
                    x.missed
                        .iter()
                        .find(|m| *m.program == *e.program && m.person == e.person)
                })
                .map(|m| m.sentence());
            let summary = format!("{}不再符合“{}”", who(e), title(&e.program));
            push(
                "lost",
                e,
                json!({"summary": summary, "reason": why, "amount_cny": e.amount_cny}),
            );
        }
        for (before, now) in &changes.amount_changed {
            let summary = format!(
                "{}“{}”金额变化：{}→{}",
                who(now),
                title(&now.program),
                before
                    .amount_cny
                    .map_or("未配置".into(), |a| format!("{a}元")),
                now.amount_cny.map_or("未配置".into(), |a| format!("{a}元"))
            );
            push(
                "amount_changed",
                now,
                json!({"summary": summary, "before_cny": before.amount_cny, "after_cny": now.amount_cny}),
            );
        }
        out.snapshots.push(snapshot);
    }
    Ok(out)
}
