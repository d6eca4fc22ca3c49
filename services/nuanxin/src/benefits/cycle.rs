//! Generating a cycle: evaluate the whole register on the cycle's date, propose one ledger entry per
//! beneficiary of the program (免申即享), and exit the previous cycle's beneficiaries who no longer
//! qualify, with the reason.

use nuanxin_ids::{CycleId, FamilyId};
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::{families_by_ids, BenefitCycle, BenefitEntry, NewEntry};
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::benefit::{parse_period, EntryStatus, ExitCause};
use nuanxin_domain::family::{ExitReason, FamilyStatus};
use nuanxin_domain::visits::holiday_evaluation_date;
use nuanxin_policy::{evaluate, evaluate_with, Detail, Evaluation, Policy, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{active_page, facts_of, period_kind, person_key, Access, BenefitError};
use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::registry::Codec;
use crate::state::{AppState, District};

/// What a generation did.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub cycle_id: CycleId,
    pub program: String,
    pub period: String,
    pub evaluated_on: NaiveDate,
    /// The cycle did not exist before this generation.
    pub created: bool,
    pub families_evaluated: u64,
    /// Entitlements found on the register.
    pub entitled: u64,
    /// Entries written by this generation (the others were already in the ledger).
    pub proposed: u64,
    pub already_in_ledger: u64,
    /// Previous-cycle beneficiaries exited by this generation.
    pub exited: u64,
    /// Open entries of this cycle (proposed, or verified and not yet approved) whose beneficiary no longer
    /// qualifies, closed by this generation with the reason.
    pub withdrawn: u64,
    /// Open entries of this cycle whose amount, payer, basis or street (the family moved) changed, set to
    /// the new one and back to proposed (to be verified again, by the family's street now).
    pub revised: u64,
}

/// [`generate`] as the caller, who must be allowed to create cycles.
pub async fn generate_for(
    state: Arc<AppState>,
    auth: &Authorized,
    program: &str,
    period: &str,
    as_of: Option<NaiveDate>,
) -> Result<Generation, BenefitError> {
    auth.check(Resource::BenefitCycle, Action::Create)?;
    generate(state, &auth.district, &auth.actor, program, period, as_of).await
}

/// Generates (or regenerates) the cycle of `program` for `period`. Safe to run again and to run twice
/// at once: the ledger's key is the beneficiary, and rows are only ever added when missing.
pub async fn generate(
    access: Access,
    district: &District,
    actor: &Actor,
    program: &str,
    period: &str,
    as_of: Option<NaiveDate>,
) -> Result<Generation, BenefitError> {
    let policy = district.policy.clone().ok_or(BenefitError::NoPolicy)?;
    let spec = policy
        .program(program)
        .ok_or_else(|| BenefitError::UnknownProgram(program.to_owned()))?;
    let period = parse_period(period_kind(spec.period), period).map_err(BenefitError::BadPeriod)?;
    let basis = policy.legal_basis();
    let on = match holiday_evaluation_date(program, &period.key) {
        // A holiday's cycle is the festival's: evaluated on its day, under the policy in force then
        // (on 1 January a parent who turns 60 before Chongyang would be missed).
        Some(festival) => {
            let festival = festival.map_err(BenefitError::BadPeriod)?;
            if as_of.is_some_and(|date| date != festival) {
                return Err(BenefitError::BadPeriod(format!(
                    "节日走访按节日当天（{festival}）评估，不能指定其他评估日期"
                )));
            }
            festival
        }
        None => period
            .evaluation_date(
                as_of,
                (basis.in_force_from, basis.in_force_until),
                district.today(),
            )
            .map_err(BenefitError::BadPeriod)?,
    };
    if !policy.in_force_on(on) {
        return Err(BenefitError::NotInForce(format!(
            "{}在{on}不在有效期内（{}起{}），不能生成该期间",
            basis.document_number,
            basis.in_force_from,
            basis
                .in_force_until
                .map_or("长期有效".to_owned(), |u| format!("至{u}"))
        )));
    }
    let tenant_id = district.id;
    let now = Utc::now();
    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    let (cycle, created) = BenefitCycle::ensure(
        &mut tx,
        &BenefitCycle {
            tenant_id,
            id: CycleId::generate(),
            program: program.to_owned(),
            period: period.key.clone(),
            evaluated_on: on,
            created_by: actor.actor.clone(),
            created_at: now,
            generated_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    let cycle = Arc::new(cycle);

    let mut report = Generation {
        cycle_id: cycle.id,
        program: program.to_owned(),
        period: period.key.clone(),
        evaluated_on: on,
        created,
        families_evaluated: 0,
        entitled: 0,
        proposed: 0,
        already_in_ledger: 0,
        exited: 0,
        withdrawn: 0,
        revised: 0,
    };
    let codec = Codec::new(access.keys(), tenant_id);
    let refresh = Refresh {
        codec: &codec,
        policy: &policy,
        cycle: &cycle,
        on,
        now,
    };
    // While one page is evaluated on a blocking thread, the next one is read.
    let mut next = active_page(&access, tenant_id, None).await?;
    loop {
        let page = next;
        let Some(last) = page.last() else { break };
        let after = Some(last.family.id);
        report.families_evaluated += page.len() as u64;
        let (worker_access, worker_policy, worker_cycle) =
            (access.clone(), policy.clone(), cycle.clone());
        let evaluated = tokio::task::spawn_blocking(move || {
            let codec = Codec::new(worker_access.keys(), tenant_id);
            propose(&codec, &worker_policy, &worker_cycle, on, &page).map(|e| (e, page))
        });
        let (evaluated, following) =
            tokio::join!(evaluated, active_page(&access, tenant_id, after));
        let (entries, page) = evaluated??;
        next = following?;
        report.entitled += entries.len() as u64;
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        // Read before inserting: only a regeneration finds entries of these families already there.
        let open = if created {
            Vec::new()
        } else {
            let ids: Vec<FamilyId> = page.iter().map(|r| r.family.id).collect();
            BenefitEntry::open_of_families(&mut tx, &cycle, &ids).await?
        };
        let inserted = NewEntry::insert_new(&mut tx, &entries).await?;
        let (withdrawn, revised) = refresh
            .open_entries(&mut tx, &open, &entries, &page)
            .await?;
        tx.commit().await?;
        report.proposed += inserted as u64;
        report.withdrawn += withdrawn;
        report.revised += revised;
    }
    report.already_in_ledger = report.entitled - report.proposed;
    // Open entries of families that left the register meanwhile (no page above held them).
    loop {
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        let open = BenefitEntry::open_of_inactive_families(&mut tx, &cycle, 500).await?;
        if open.is_empty() {
            tx.commit().await?;
            break;
        }
        let mut ids: Vec<FamilyId> = open.iter().map(|e| e.family_id).collect();
        ids.dedup();
        let records = families_by_ids(&mut tx, &ids).await?;
        let (withdrawn, _) = refresh.open_entries(&mut tx, &open, &[], &records).await?;
        tx.commit().await?;
        report.withdrawn += withdrawn;
    }
    report.exited = exit_previous(&access, district, &policy, &cycle, on).await?;

    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    BenefitCycle::mark_generated(&mut tx, cycle.id, on).await?;
    audit::record(
        &tx,
        tenant_id,
        actor,
        "benefit_cycle.generate",
        "benefit_cycle",
        &cycle.id.to_string(),
        json!({
            "program": program, "period": period.key, "evaluated_on": on,
            "families": report.families_evaluated, "proposed": report.proposed,
            "already_in_ledger": report.already_in_ledger, "exited": report.exited,
            "withdrawn": report.withdrawn, "revised": report.revised,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// The entries one page of the register is entitled to in the cycle's program.
fn propose(
    codec: &Codec<'_>,
    policy: &Policy,
    cycle: &BenefitCycle,
    on: NaiveDate,
    page: &[FamilyRecord],
) -> Result<Vec<NewEntry>, BenefitError> {
    let mut out = Vec::new();
    let mut eval = Evaluation::default();
    for record in page {
        let (_, facts) = facts_of(codec, record)?;
        evaluate_with(policy, &facts, on, Detail::ENTITLEMENTS_ONLY, &mut eval);
        for e in eval
            .entitlements
            .iter()
            .filter(|e| *e.program == *cycle.program)
        {
            out.push(NewEntry {
                tenant_id: cycle.tenant_id,
                program: cycle.program.clone(),
                period: cycle.period.clone(),
                family_id: record.family.id,
                person: person_key(e.person).to_owned(),
                id: Uuid::new_v4(),
                cycle_id: cycle.id,
                street_id: record.family.street_id,
                amount_cny: e.amount_cny,
                payer: e.payer.to_string(),
                basis: e.basis.to_string(),
                status: EntryStatus::Proposed,
                exit_reason: None,
                exit_detail: None,
            });
        }
    }
    Ok(out)
}

/// What a generation needs to bring a cycle's open entries up to date with the register.
struct Refresh<'a> {
    codec: &'a Codec<'a>,
    policy: &'a Policy,
    cycle: &'a BenefitCycle,
    on: NaiveDate,
    now: chrono::DateTime<Utc>,
}

impl Refresh<'_> {
    /// Closes each `open` entry that `entitled` no longer holds (with the reason, from `records`) and revises
    /// each whose amount, payer, basis or street changed. Returns how many were withdrawn and how many revised.
    async fn open_entries(
        &self,
        conn: &mut nuanxin_db::AsyncPgConnection,
        open: &[BenefitEntry],
        entitled: &[NewEntry],
        records: &[FamilyRecord],
    ) -> Result<(u64, u64), BenefitError> {
        let (mut withdrawn, mut revised) = (0, 0);
        let entitled: HashMap<(FamilyId, &str), &NewEntry> = entitled
            .iter()
            .map(|e| ((e.family_id, e.person.as_str()), e))
            .collect();
        for entry in open {
            match entitled.get(&(entry.family_id, entry.person.as_str())) {
                Some(e)
                    if (e.amount_cny, &e.payer, &e.basis, e.street_id)
                        == (
                            entry.amount_cny,
                            &entry.payer,
                            &entry.basis,
                            entry.street_id,
                        ) => {}
                Some(e) => {
                    revised += u64::from(BenefitEntry::revise(conn, entry.id, e, self.now).await?);
                }
                None => {
                    let (cause, detail) = exit_cause(
                        self.codec,
                        self.policy,
                        &self.cycle.program,
                        records.iter().find(|r| r.family.id == entry.family_id),
                        &entry.person,
                        self.on,
                    )?;
                    let closed = BenefitEntry::withdraw(
                        conn,
                        entry.id,
                        cause.as_str(),
                        detail.as_deref(),
                        self.now,
                    )
                    .await?;
                    withdrawn += u64::from(closed);
                }
            }
        }
        Ok((withdrawn, revised))
    }
}

/// Writes an exit row for every beneficiary of the previous cycle who has no entry in this one.
async fn exit_previous(
    access: &Access,
    district: &District,
    policy: &Policy,
    cycle: &BenefitCycle,
    on: NaiveDate,
) -> Result<u64, BenefitError> {
    let tenant_id = district.id;
    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    let previous = cycle.previous(&mut tx).await?;
    tx.commit().await?;
    let Some(previous) = previous else {
        return Ok(0);
    };
    let codec = Codec::new(access.keys(), tenant_id);
    let mut exited = 0;
    let mut after = None;
    loop {
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        let gone =
            BenefitEntry::missing_from(&mut tx, &previous, cycle, after.clone(), 500).await?;
        let Some(last) = gone.last() else {
            tx.commit().await?;
            break;
        };
        after = Some((last.family_id, last.person.clone()));
        let mut ids: Vec<FamilyId> = gone.iter().map(|e| e.family_id).collect();
        ids.dedup();
        let records = families_by_ids(&mut tx, &ids).await?;
        tx.commit().await?;
        // Exits are few (a page holds at most 500): evaluated here, with the full explanation.
        let rows = gone
            .iter()
            .map(|entry| {
                let record = records.iter().find(|r| r.family.id == entry.family_id);
                let (cause, detail) =
                    exit_cause(&codec, policy, &cycle.program, record, &entry.person, on)?;
                Ok(NewEntry {
                    tenant_id,
                    program: cycle.program.clone(),
                    period: cycle.period.clone(),
                    family_id: entry.family_id,
                    person: entry.person.clone(),
                    id: Uuid::new_v4(),
                    cycle_id: cycle.id,
                    street_id: record.map_or(entry.street_id, |r| r.family.street_id),
                    amount_cny: None,
                    payer: entry.payer.clone(),
                    basis: entry.basis.clone(),
                    status: EntryStatus::Exited,
                    exit_reason: Some(cause.as_str().to_owned()),
                    exit_detail: detail,
                })
            })
            .collect::<Result<Vec<_>, BenefitError>>()?;
        let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
        exited += NewEntry::insert_new(&mut tx, &rows).await? as u64;
        tx.commit().await?;
    }
    Ok(exited)
}

/// Why a family (or one parent of it) no longer has the program: it left the register, the parent
/// died, it had a child again, its hukou left the district, or a condition it now fails; `Other` when the
/// family's record is gone.
fn exit_cause(
    codec: &Codec<'_>,
    policy: &Policy,
    program: &str,
    record: Option<&FamilyRecord>,
    person: &str,
    on: NaiveDate,
) -> Result<(ExitCause, Option<String>), BenefitError> {
    let Some(record) = record else {
        return Ok((ExitCause::Other, None));
    };
    let row = &record.family;
    if row.status == FamilyStatus::Exited {
        let cause = match row.exit_reason {
            Some(ExitReason::Rebirth) => ExitCause::Rebirth,
            Some(ExitReason::Adoption) => ExitCause::Adoption,
            Some(ExitReason::Deceased) => ExitCause::Death,
            Some(ExitReason::MovedAway) => ExitCause::MovedAway,
            Some(ExitReason::Other) | None => ExitCause::Other,
        };
        let detail = match &row.exit_note {
            Some(note) => format!("家庭已于{}退出登记：{note}", row.exited_on.unwrap_or(on)),
            None => format!("家庭已于{}退出登记", row.exited_on.unwrap_or(on)),
        };
        return Ok((cause, Some(detail)));
    }
    let (_, facts) = facts_of(codec, record)?;
    let role = match person {
        "mother" => Some(Role::Mother),
        "father" => Some(Role::Father),
        _ => None,
    };
    if let Some(role) = role {
        match facts.parent(role) {
            Some(p) if !p.alive => {
                return Ok((ExitCause::Death, Some(format!("{}已亡故", role.label()))))
            }
            None => {
                return Ok((
                    ExitCause::Other,
                    Some(format!("登记中已无{}", role.label())),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(born) = facts.rebirth.assisted_reproduction_birth_on {
        return Ok((ExitCause::Rebirth, Some(format!("{born}再生育"))));
    }
    if facts.hukou_district != policy.tenant() {
        return Ok((
            ExitCause::MovedAway,
            Some(format!("户籍已不在本区（{}）", facts.hukou_district)),
        ));
    }
    let evaluation = evaluate(policy, &facts, on);
    let detail = evaluation
        .missed
        .iter()
        .find(|m| *m.program == *program && m.person == role)
        .map(|m| m.sentence());
    Ok((ExitCause::NoLongerEligible, detail))
}
