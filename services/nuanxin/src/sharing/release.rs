//! Choosing a request's families from the register and writing its release at approval.
//!
//! Like the benefits module's register-wide work: the register is read in keyset pages of
//! [`PAGE`](crate::benefits::PAGE) families, each in its own short transaction; a page is decrypted, evaluated, matched,
//! minimised and sealed on a blocking thread while the next page is read; its records are written in
//! another short transaction. Memory holds a page or two whatever the size of the register. The
//! release is `building` (unreadable) until its last page is written and it is marked `ready` together
//! with its approval's audit event and mail; an approval that fails half-way removes what it wrote and
//! puts the request back to pending, so nothing half-released remains.

use nuanxin_domain::sharing::ReleaseBuild;
use nuanxin_ids::{DataReleaseId, DataRequestId, FamilyId, OrgUnitId, TenantId};
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::models::sharing::{
    insert_records, Consent, DataRelease, DataRequest, NewReleaseRecord,
};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::{Child, Family};
use nuanxin_domain::org::OrgDirectory;
use nuanxin_domain::sharing::{expires_on, Decision, DecisionError, RequestStatus};
use nuanxin_policy::{evaluate_with, Detail, Evaluation, Policy};
use nuanxin_privacy::aad;
use nuanxin_sharing::{
    age_band, matches, minimise, FamilyFacts, Field, FilterKind, ParentFacts, Rule,
};
use serde::Serialize;
use serde_json::json;

use super::requests::{checked_rule, stored_request};
use super::{mail, rules_of, SharingError};
use crate::audit::{self, Actor};
use crate::benefits::{active_page, Access};
use crate::registry::Codec;
use crate::state::District;

/// What the steward's approval answers.
#[derive(Debug, Clone, Serialize)]
pub struct Approved {
    pub release_id: DataReleaseId,
    pub expires_on: NaiveDate,
    pub families: i64,
}

/// What a request selects: the rule it falls under, its filter, the day it is evaluated on.
#[derive(Clone)]
pub struct Selection {
    pub rule: Rule,
    pub filter: Vec<(String, String)>,
    pub on: NaiveDate,
}

impl Selection {
    /// Whether the families' entitlements must be evaluated (a program filter or the field).
    fn needs_entitlements(&self) -> bool {
        self.filter
            .iter()
            .any(|(n, _)| FilterKind::parse(n) == Some(FilterKind::Program))
            || self
                .rule
                .fields
                .iter()
                .any(|(f, _)| *f == Field::Entitlements)
    }
}

/// One family of a page that the selection matched.
pub struct Chosen {
    pub id: FamilyId,
    pub facts: FamilyFacts,
}

/// A family's facts as the sharing crate sees them (codes of its street and community, the program
/// codes it is entitled to on the selection's day).
pub fn sharing_facts(
    id: FamilyId,
    family: &Family,
    orgs: &OrgDirectory,
    entitlements: Vec<String>,
) -> FamilyFacts {
    let code = |unit: OrgUnitId| orgs.get(unit).map_or_else(String::new, |u| u.code.clone());
    let (child_status, grade) = match family.child {
        Child::Deceased { .. } => ("deceased", None),
        Child::Disabled {
            disability_grade, ..
        } => ("disabled", Some(disability_grade)),
    };
    FamilyFacts {
        family_id: id.to_string(),
        kind: family.kind.as_str().to_owned(),
        street: code(family.street_id),
        community: code(family.community_id),
        address: family.address.clone(),
        parents: family
            .parents
            .iter()
            .map(|p| ParentFacts {
                name: p.name.clone(),
                resident_id: p.resident_id.clone(),
                phone: p.phone.clone(),
                self_care: p.self_care.as_str().to_owned(),
                alive: p.alive,
            })
            .collect(),
        monthly_income_per_capita_cny: Some(family.household.monthly_income_per_capita_cny),
        child_status: child_status.to_owned(),
        child_disability_grade: grade,
        entitlements,
    }
}

/// The program codes `family` is entitled to on `on` under `policy` (the benefits module's evaluation).
pub fn entitled_programs<'p>(
    policy: &'p Policy,
    family: &Family,
    on: NaiveDate,
    eval: &mut Evaluation<'p>,
) -> Vec<String> {
    let facts = nuanxin_policy::FamilyFacts::from(family);
    evaluate_with(policy, &facts, on, Detail::ENTITLEMENTS_ONLY, eval);
    let mut programs: Vec<String> = eval
        .entitlements
        .iter()
        .map(|e| e.program.to_owned())
        .collect();
    programs.sort();
    programs.dedup();
    programs
}

/// The age band a family is counted under in aggregates: its eldest living parent's on `on` (its
/// eldest parent's when none lives).
pub fn family_age_band(facts: &FamilyFacts, on: NaiveDate) -> &'static str {
    let eldest = |living: bool| {
        facts
            .parents
            .iter()
            .filter(|p| p.alive || !living)
            .map(|p| p.resident_id.age_on(on))
            .max()
    };
    age_band(eldest(true).or_else(|| eldest(false)).unwrap_or(0))
}

/// The families of one page that `sel` selects (consent is checked by the caller, in the database).
pub fn choose(
    codec: &Codec<'_>,
    policy: Option<&Policy>,
    orgs: &OrgDirectory,
    sel: &Selection,
    page: &[FamilyRecord],
) -> Result<Vec<Chosen>, SharingError> {
    let mut eval = Evaluation::default();
    let with_programs = sel.needs_entitlements();
    let mut out = Vec::new();
    for record in page {
        let family = codec
            .decode(record)
            .map_err(|e| SharingError::Decode(e.to_string()))?;
        let programs = match (with_programs, policy) {
            (true, Some(policy)) => entitled_programs(policy, &family, sel.on, &mut eval),
            _ => Vec::new(),
        };
        let facts = sharing_facts(record.family.id, &family, orgs, programs);
        if matches(&sel.filter, &facts, sel.on) {
            out.push(Chosen {
                id: record.family.id,
                facts,
            });
        }
    }
    Ok(out)
}

/// The chosen families of a page as sealed release records (the record encrypted with the district's
/// field key, bound to the tenant, release and family).
fn seal(
    codec_keys: &crate::state::Keys,
    tenant_id: TenantId,
    release_id: DataReleaseId,
    sel: &Selection,
    chosen: &[Chosen],
) -> Vec<NewReleaseRecord> {
    let pseud =
        nuanxin_sharing::department_pseudonymizer(&codec_keys.pseudonyms, &sel.rule.org_unit);
    let (tenant, release) = (tenant_id.to_string(), release_id.to_string());
    chosen
        .iter()
        .map(|c| {
            let record = minimise(&sel.rule, &c.facts, sel.on, &pseud);
            let plain = serde_json::Value::Object(record).to_string();
            NewReleaseRecord {
                seq: 0,
                family_id: c.id,
                record_enc: codec_keys.cipher.encrypt(
                    plain.as_bytes(),
                    &record_aad(&tenant, &release, &c.id.to_string()),
                ),
                street: c.facts.street.clone(),
                community: c.facts.community.clone(),
                kind: c.facts.kind.clone(),
                age_band: family_age_band(&c.facts, sel.on).to_owned(),
                programs: json!(c.facts.entitlements),
            }
        })
        .collect()
}

/// What binds a sealed record to its place: a record copied to another release or family does not open.
pub fn record_aad(tenant: &str, release: &str, family: &str) -> Vec<u8> {
    aad(&[tenant, "data_release_records", release, family])
}

/// The write of one page of a scan, in the page's transaction.
type PageWrite<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SharingError>> + Send + 'a>>;

/// One page of the register worked: its chosen families and, when a release is written, their
/// sealed records.
type Worked = (Vec<Chosen>, Vec<NewReleaseRecord>);

/// Chooses (and seals) one page on this thread and one more: the two halves of a page are worked at
/// once, so both cores decode, evaluate and seal while the database reads and writes other pages.
fn work_page(
    keys: &crate::state::Keys,
    district: &District,
    sel: &Selection,
    release_id: Option<DataReleaseId>,
    page: &[FamilyRecord],
) -> Result<Worked, SharingError> {
    let half = |part: &[FamilyRecord]| -> Result<Worked, SharingError> {
        let codec = Codec::new(keys, district.id);
        let chosen = choose(
            &codec,
            district.policy.as_deref(),
            &district.orgs,
            sel,
            part,
        )?;
        let sealed = match release_id {
            Some(release) => seal(keys, district.id, release, sel, &chosen),
            None => Vec::new(),
        };
        Ok((chosen, sealed))
    };
    let (first, second) = page.split_at(page.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| half(second));
        let a = half(first);
        // A panic on the other thread goes on here, where the blocking task reports it.
        let b = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    });
    let ((mut chosen, mut sealed), (more_chosen, more_sealed)) = (a?, b?);
    chosen.extend(more_chosen);
    sealed.extend(more_sealed);
    Ok((chosen, sealed))
}

/// Streams the register through `sel`: `each` gets every page's chosen families that consented where
/// the rule needs it, with the page's own transaction (already open) to write in, then commits it.
///
/// Three stages run at once, each handing its page on through a channel of one, so at most four pages
/// are in memory whatever the register's size: this task reads page N+2 while a blocking thread works
/// page N+1 on both cores and the caller's `each` writes page N. A stage that fails closes its
/// channels, the others stop, and its error is returned.
async fn scan<F>(
    access: &Access,
    district: &Arc<District>,
    sel: &Selection,
    release_id: Option<DataReleaseId>,
    mut each: F,
) -> Result<(), SharingError>
where
    F: for<'a> FnMut(&'a mut TenantTx, Vec<Chosen>, Vec<NewReleaseRecord>) -> PageWrite<'a>,
{
    let tenant_id = district.id;
    let (pages, mut to_work) = tokio::sync::mpsc::channel::<Vec<FamilyRecord>>(1);
    let (worked, mut to_write) = tokio::sync::mpsc::channel::<Worked>(1);
    let (worker_access, worker_district, worker_sel) =
        (access.clone(), district.clone(), sel.clone());
    let worker = tokio::task::spawn_blocking(move || {
        while let Some(page) = to_work.blocking_recv() {
            let done = work_page(
                worker_access.keys(),
                &worker_district,
                &worker_sel,
                release_id,
                &page,
            )?;
            if worked.blocking_send(done).is_err() {
                break;
            }
        }
        Ok::<_, SharingError>(())
    });
    let reader = async move {
        let mut after = None;
        loop {
            let page = active_page(access, tenant_id, after).await?;
            let Some(last) = page.last() else {
                return Ok::<_, SharingError>(());
            };
            after = Some(last.family.id);
            if pages.send(page).await.is_err() {
                // The worker stopped: its error is the one reported.
                return Ok(());
            }
        }
    };
    let writer = async move {
        while let Some((mut chosen, mut sealed)) = to_write.recv().await {
            let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
            if sel.rule.consent_required && !chosen.is_empty() {
                let ids: Vec<FamilyId> = chosen.iter().map(|c| c.id).collect();
                let consented: HashSet<FamilyId> = Consent::in_force_among(
                    &mut tx,
                    &sel.rule.org_unit,
                    &sel.rule.purpose,
                    sel.on,
                    &ids,
                )
                .await?
                .into_iter()
                .collect();
                chosen.retain(|c| consented.contains(&c.id));
                sealed.retain(|r| consented.contains(&r.family_id));
            }
            each(&mut tx, chosen, sealed).await?;
            tx.commit().await?;
        }
        Ok::<_, SharingError>(())
    };
    let (read, worked, written) = tokio::join!(reader, worker, writer);
    written?;
    worked??;
    read
}

/// How many families of the register `sel` selects today (with consent where needed): the steward
/// sees it beside the request.
pub async fn count_covered(
    access: &Access,
    district: &Arc<District>,
    sel: &Selection,
) -> Result<i64, SharingError> {
    let mut count = 0i64;
    scan(access, district, sel, None, |_, chosen, _| {
        count += chosen.len() as i64;
        Box::pin(async { Ok(()) })
    })
    .await?;
    Ok(count)
}

/// The steward approves a pending request: its release is written and becomes readable by the
/// requesting department until the end of its period.
pub async fn approve(
    access: Access,
    district: &Arc<District>,
    actor: &Actor,
    request_id: DataRequestId,
) -> Result<Approved, SharingError> {
    let rules = rules_of(district)?;
    let tenant_id = district.id;
    let today = district.today();
    let now = Utc::now();

    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    let request = DataRequest::find(&mut tx, request_id)
        .await?
        .ok_or(SharingError::NotFound("没有找到该申请"))?;
    Decision::Approve
        .apply(request.status, request.requested_by, actor.user_id)
        .map_err(decision_error)?;
    let unit = district
        .orgs
        .get(request.org_unit_id)
        .ok_or(SharingError::NotFound("没有找到申请部门"))?;
    let asked = stored_request(&request);
    // Checked again: the rules may have changed since the request was made.
    let mut rule = checked_rule(&rules, district, &unit.code, &asked)?.clone();
    // Minimum necessary: the fields asked for, each in the rule's mode — not all the rule allows.
    rule.fields = asked
        .fields
        .iter()
        .filter_map(|code| Field::parse(code))
        .filter_map(|f| rule.mode_of(f).map(|m| (f, m)))
        .collect();
    DataRequest::decide(
        &mut tx,
        request_id,
        RequestStatus::Approved,
        actor.user_id,
        now,
        None,
    )
    .await?
    .ok_or(SharingError::Conflict("该申请已被处理"))?;
    let days = u32::try_from(asked.days).unwrap_or(1);
    let release = DataRelease {
        tenant_id,
        id: DataReleaseId::generate(),
        request_id,
        org_unit_id: request.org_unit_id,
        purpose: rule.purpose.clone(),
        fields: json!(rule
            .fields
            .iter()
            .map(|(f, m)| [f.as_str(), m.as_str()])
            .collect::<Vec<_>>()),
        approved_by: actor.user_id,
        approved_at: now,
        released_on: today,
        expires_on: expires_on(today, days),
        state: ReleaseBuild::Building,
        families: 0,
        revoked_at: None,
        revoked_by: None,
        expiry_notice_at: None,
    };
    release.insert(&mut tx).await?;
    tx.commit().await?;

    let sel = Selection {
        rule,
        filter: asked.filter,
        on: today,
    };
    match write_release(&access, district, actor, &sel, &release, &request).await {
        Ok(families) => Ok(Approved {
            release_id: release.id,
            expires_on: release.expires_on,
            families,
        }),
        Err(e) => {
            // Undo: no half-written release stays, and the request can be approved again.
            let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
            DataRelease::delete_building(&mut tx, release.id).await?;
            DataRequest::reopen(&mut tx, request_id).await?;
            tx.commit().await?;
            Err(e)
        }
    }
}

async fn write_release(
    access: &Access,
    district: &Arc<District>,
    actor: &Actor,
    sel: &Selection,
    release: &DataRelease,
    request: &DataRequest,
) -> Result<i64, SharingError> {
    let (tenant_id, release_id) = (district.id, release.id);
    let mut seq = 0i32;
    scan(
        access,
        district,
        sel,
        Some(release_id),
        |tx, _, mut sealed| {
            for r in &mut sealed {
                seq += 1;
                r.seq = seq;
            }
            Box::pin(async move {
                insert_records(tx, tenant_id, release_id, &sealed).await?;
                Ok(())
            })
        },
    )
    .await?;
    let families = i64::from(seq);
    let mut tx = TenantTx::begin(access.pool(), tenant_id).await?;
    DataRelease::mark_ready(&mut tx, release_id, seq).await?;
    audit::record(
        &tx,
        tenant_id,
        actor,
        "data_request.approve",
        "data_request",
        &request.id.to_string(),
        json!({"release_id": release_id, "org_unit": sel.rule.org_unit, "purpose": sel.rule.purpose,
               "families": families, "expires_on": release.expires_on}),
    )
    .await?;
    mail::decision(&mut tx, district, request, Some(release), None).await?;
    tx.commit().await?;
    Ok(families)
}

/// A decision that cannot be made, as the service's error.
pub fn decision_error(e: DecisionError) -> SharingError {
    match e {
        DecisionError::OwnRequest => SharingError::OwnRequest,
        DecisionError::AlreadyDecided(_) => SharingError::Conflict("该申请已被处理"),
    }
}
