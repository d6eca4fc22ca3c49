//! The ledger's steps and views: who may move an entry from where to where, the entry as the API
//! shows it, and the payment list for the bank.

use chrono::{DateTime, NaiveDate, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::audit::NewAuditEvent;
use nuanxin_db::models::benefit::{
    families_by_ids, BenefitCycle, BenefitEntry, EntryFilter, EntryUpdate,
};
use nuanxin_db::models::family::Scope;
use nuanxin_db::pool::TenantTx;
use nuanxin_db::AsyncPgConnection;
use nuanxin_domain::benefit::{EntryAction, EntryStatus, ExitCause};
use nuanxin_domain::family::{Parent, MONEY_MAX_CNY};
use nuanxin_ids::{CycleId, FamilyId, OrgUnitId};
use nuanxin_privacy::mask_name;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::BenefitError;
use crate::audit::Actor;
use crate::auth::Authorized;
use crate::page::{Page, Paging};
use crate::registry::view::Reveal;
use crate::registry::Codec;
use crate::state::{AppState, District};

/// What the caller may do over entries: permissions from the roles, the unit from the session.
#[derive(Debug, Clone, Copy)]
pub struct Authority<'a> {
    /// May verify (and reject proposed entries): street staff, in their scope.
    pub verify: bool,
    /// May approve (and reject verified entries) — only for payers whose approving unit is `unit_code`.
    pub approve: bool,
    /// May mark paid — only when `unit_code` is the district's disbursing unit.
    pub disburse: bool,
    /// The caller's org unit code.
    pub unit_code: &'a str,
}

impl<'a> Authority<'a> {
    /// The caller's authority over entries.
    pub fn of(auth: &'a Authorized) -> Authority<'a> {
        Authority {
            verify: auth.may(Resource::BenefitCycle, Action::Verify),
            approve: auth.may(Resource::BenefitCycle, Action::Approve),
            disburse: auth.may(Resource::BenefitCycle, Action::Disburse),
            unit_code: auth.unit_code(),
        }
    }

    /// Whether the caller holds the permission `action` needs before any entry is looked at
    /// (rejecting needs one of two).
    fn may_take(&self, action: EntryAction) -> bool {
        match action {
            EntryAction::Verify => self.verify,
            EntryAction::Reject => self.verify || self.approve,
            EntryAction::Approve => self.approve,
            EntryAction::Pay => self.disburse,
        }
    }

    /// Whether this caller may take `action` on an entry in status `from` paid by `payer`: street staff
    /// verify; a bureau approves what its payers' approving unit is; the disbursing unit pays. The
    /// console offers exactly the steps this allows.
    pub fn may(
        &self,
        district: &District,
        action: EntryAction,
        from: EntryStatus,
        payer: &str,
    ) -> bool {
        match (action, from) {
            (EntryAction::Verify, _) | (EntryAction::Reject, EntryStatus::Proposed) => self.verify,
            (EntryAction::Approve, _) | (EntryAction::Reject, _) => {
                self.approve && district.benefit_units.approver_of(payer) == self.unit_code
            }
            (EntryAction::Pay, _) => {
                self.disburse && district.benefit_units.disbursing == self.unit_code
            }
        }
    }
}

/// A step requested on one or more entries.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub action: EntryAction,
    pub ids: Vec<Uuid>,
    pub note: Option<String>,
    pub payment_reference: Option<String>,
    /// The amount a bureau enters when approving a cash entry whose standard the policy leaves open.
    pub amount_cny: Option<i64>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Applies one step to every entry named, all or nothing; returns the entries as they are now.
/// An entry outside the caller's scope is not found; one the caller has no authority over is
/// forbidden; one whose status does not allow the step is a conflict naming its status.
pub async fn apply_step(
    conn: &mut AsyncPgConnection,
    district: &District,
    scope: Scope,
    authority: Authority<'_>,
    actor: &Actor,
    request: &StepRequest,
) -> Result<Vec<BenefitEntry>, BenefitError> {
    let note = non_empty(&request.note);
    let reference = non_empty(&request.payment_reference);
    match request.action {
        EntryAction::Verify if note.is_none() => {
            return Err(BenefitError::MissingField {
                field: "note",
                message: "核实须填写核实说明",
            })
        }
        EntryAction::Reject if note.is_none() => {
            return Err(BenefitError::MissingField {
                field: "note",
                message: "驳回须填写原因",
            })
        }
        EntryAction::Pay if reference.is_none() => {
            return Err(BenefitError::MissingField {
                field: "payment_reference",
                message: "发放须填写付款凭证号",
            })
        }
        _ => {}
    }
    let mut ids = request.ids.clone();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(BenefitError::MissingField {
            field: "ids",
            message: "请选择账目",
        });
    }
    let entries = BenefitEntry::for_update(conn, scope, &ids).await?;
    if entries.len() != ids.len() {
        return Err(BenefitError::NotFound("没有找到账目（或不在您的范围内）"));
    }
    if let Some(amount) = request.amount_cny {
        if request.action != EntryAction::Approve {
            return Err(invalid(
                "amount_cny",
                "not_allowed",
                "只有审批时可以填写金额",
            ));
        }
        if !(1..=MONEY_MAX_CNY).contains(&amount) {
            return Err(invalid(
                "amount_cny",
                "out_of_range",
                format!("金额应在1到{MONEY_MAX_CNY}元之间"),
            ));
        }
        if note.is_none() {
            return Err(BenefitError::MissingField {
                field: "note",
                message: "填写金额须说明依据（执行的标准或文件）",
            });
        }
    }
    let now = Utc::now();
    // Entries move in groups of one starting status; those given an entered amount form their own.
    let mut groups: Vec<(EntryStatus, bool, Vec<Uuid>)> = Vec::new();
    let mut events = Vec::with_capacity(entries.len());
    for entry in &entries {
        let from = entry.status;
        let Some(to) = request.action.apply(from) else {
            return Err(BenefitError::InvalidTransition {
                message: format!(
                    "账目{}当前状态为“{}”，不能{}",
                    entry.id,
                    from.label(),
                    request.action.label()
                ),
            });
        };
        if !authority.may(district, request.action, from, &entry.payer) {
            return Err(BenefitError::Forbidden);
        }
        let needs_amount = amount_to_enter(district, &entry.program, entry.amount_cny);
        let enters_amount = match (request.action, needs_amount, request.amount_cny) {
            (EntryAction::Approve | EntryAction::Pay, true, None) => {
                return Err(invalid(
                    "amount_cny",
                    "amount_required",
                    format!(
                        "账目{}的金额标准在政策中尚未配置，审批时须填写金额和依据",
                        entry.id
                    ),
                ))
            }
            (EntryAction::Approve, false, Some(_)) => {
                return Err(invalid(
                    "amount_cny",
                    "amount_fixed",
                    format!("账目{}的金额由政策确定，不能另填", entry.id),
                ))
            }
            (_, needs, given) => needs && given.is_some(),
        };
        match groups
            .iter_mut()
            .find(|(f, entered, _)| *f == from && *entered == enters_amount)
        {
            Some((_, _, group)) => group.push(entry.id),
            None => groups.push((from, enters_amount, vec![entry.id])),
        }
        events.push(NewAuditEvent {
            tenant_id: district.id,
            occurred_at: None,
            actor: actor.actor.clone(),
            action: format!("benefit.{}", request.action.as_str()),
            object_type: "benefit_entry".into(),
            object_id: entry.id.to_string(),
            detail: json!({
                "program": entry.program, "period": entry.period, "family_id": entry.family_id,
                "person": entry.person, "from": from.as_str(), "to": to.as_str(),
                "note": note, "payment_reference": reference,
                "amount_entered": enters_amount.then_some(request.amount_cny).flatten(),
            }),
            request_id: actor.request_id.clone(),
        });
    }
    let by = Some(actor.actor.clone());
    for (from, enters_amount, group) in &groups {
        let Some(to) = request.action.apply(*from) else {
            continue;
        };
        let mut update = EntryUpdate::to(to, now);
        if *enters_amount {
            update.amount_cny = request.amount_cny;
            update.amount_note = note.clone();
            update.amount_entered_by = by.clone();
        }
        match request.action {
            EntryAction::Verify => {
                update.verify_note = note.clone();
                update.verified_by = by.clone();
                update.verified_at = Some(now);
            }
            EntryAction::Reject => update.reject_reason = note.clone(),
            EntryAction::Approve => {
                update.approved_by = by.clone();
                update.approved_at = Some(now);
            }
            EntryAction::Pay => {
                update.payment_reference = reference.clone();
                update.paid_by = by.clone();
                update.paid_at = Some(now);
            }
        }
        // The rows are locked (FOR UPDATE above), so every one of them moves.
        BenefitEntry::transition(conn, group, *from, &update).await?;
    }
    NewAuditEvent::insert_many(conn, &events).await?;
    Ok(BenefitEntry::for_update(conn, scope, &ids).await?)
}

fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> BenefitError {
    BenefitError::Invalid {
        field,
        code,
        message: message.into(),
    }
}

/// Whether the program pays money (its amount may still be unconfigured), as opposed to a service.
/// Whether the approving bureau must enter the entry's amount: a cash program whose amount the policy
/// left open (a service has no amount to enter). The console draws its approval form from the same.
pub fn amount_to_enter(district: &District, program: &str, amount_cny: Option<i64>) -> bool {
    amount_cny.is_none() && is_cash(district, program)
}

fn is_cash(district: &District, program: &str) -> bool {
    district
        .policy
        .as_ref()
        .and_then(|p| p.program(program))
        .is_some_and(|p| !matches!(p.amount, nuanxin_policy::AmountSpec::Service))
}

#[derive(Debug, Serialize)]
pub struct UnitRef {
    pub code: String,
    pub name: String,
}

/// A ledger entry as the API shows it: family by id and street, no personal data.
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub id: Uuid,
    pub cycle_id: CycleId,
    pub program: String,
    pub period: String,
    pub family_id: FamilyId,
    pub person: String,
    pub street: UnitRef,
    pub amount_cny: Option<i64>,
    /// The basis of an amount the approving bureau entered (none for amounts from the policy).
    pub amount_note: Option<String>,
    pub payer: String,
    /// The org unit whose staff approve this entry.
    pub approver: UnitRef,
    pub basis: String,
    pub status: EntryStatus,
    pub status_label: &'static str,
    pub exit_reason: Option<String>,
    pub exit_reason_label: Option<&'static str>,
    pub exit_detail: Option<String>,
    pub verify_note: Option<String>,
    pub reject_reason: Option<String>,
    pub payment_reference: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

fn unit_ref(district: &District, code_or_id: Result<&str, OrgUnitId>) -> UnitRef {
    let unit = match code_or_id {
        Ok(code) => district.orgs.by_code(code),
        Err(id) => district.orgs.get(id),
    };
    UnitRef {
        code: unit.map(|u| u.code.clone()).unwrap_or_default(),
        name: unit.map(|u| u.name.clone()).unwrap_or_default(),
    }
}

pub fn entry_view(district: &District, e: BenefitEntry) -> EntryView {
    let exit = e.exit_reason.as_deref().and_then(ExitCause::parse);
    EntryView {
        street: unit_ref(district, Err(e.street_id)),
        approver: unit_ref(district, Ok(district.benefit_units.approver_of(&e.payer))),
        status_label: e.status.label(),
        exit_reason_label: exit.map(ExitCause::label),
        id: e.id,
        cycle_id: e.cycle_id,
        program: e.program,
        period: e.period,
        family_id: e.family_id,
        person: e.person,
        amount_cny: e.amount_cny,
        amount_note: e.amount_note,
        payer: e.payer,
        basis: e.basis,
        status: e.status,
        exit_reason: e.exit_reason,
        exit_detail: e.exit_detail,
        verify_note: e.verify_note,
        reject_reason: e.reject_reason,
        payment_reference: e.payment_reference,
        verified_at: e.verified_at,
        approved_at: e.approved_at,
        paid_at: e.paid_at,
    }
}

/// A cycle with its entries counted by status (within the caller's scope).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct CycleView {
    pub id: CycleId,
    pub program: String,
    pub title: String,
    pub period: String,
    pub evaluated_on: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub counts: serde_json::Map<String, serde_json::Value>,
}

pub fn cycle_view(
    district: &District,
    c: BenefitCycle,
    counts: Vec<(EntryStatus, i64)>,
) -> CycleView {
    let title = district
        .policy
        .as_ref()
        .and_then(|p| p.program(&c.program).map(|p| p.title.clone()))
        .unwrap_or_default();
    let mut map = serde_json::Map::new();
    for s in EntryStatus::ALL {
        let n = counts.iter().find(|(k, _)| *k == s).map_or(0, |(_, n)| *n);
        map.insert(s.as_str().to_owned(), json!(n));
    }
    CycleView {
        id: c.id,
        program: c.program,
        title,
        period: c.period,
        evaluated_on: c.evaluated_on,
        generated_at: c.generated_at,
        counts: map,
    }
}

/// Applies one step to the entries of `request` as the caller, all or nothing; the entries as they
/// are now.
pub async fn take_step(
    state: &AppState,
    auth: &Authorized,
    request: StepRequest,
) -> Result<Vec<EntryView>, BenefitError> {
    let authority = Authority::of(auth);
    if !authority.may_take(request.action) {
        return Err(BenefitError::Forbidden);
    }
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let entries = apply_step(
        &mut tx,
        district,
        auth.scope,
        authority,
        &auth.actor,
        &request,
    )
    .await?;
    tx.commit().await?;
    Ok(entries
        .into_iter()
        .map(|e| entry_view(district, e))
        .collect())
}

/// A page of a cycle's entries in the caller's scope (a street sees only its own families), of the
/// statuses asked for (all when `None`) and of one street when one is given.
pub async fn entries(
    state: &AppState,
    auth: &Authorized,
    cycle_id: CycleId,
    status: Option<Vec<EntryStatus>>,
    street_id: Option<OrgUnitId>,
    paging: Paging,
) -> Result<Page<EntryView>, BenefitError> {
    auth.check(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let filter = EntryFilter {
        status,
        street_id,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, cycle_id)
        .await?
        .ok_or(BenefitError::NotFound("没有找到该发放周期"))?;
    let (rows, total) = BenefitEntry::list(&mut tx, auth.scope, cycle.id, &filter).await?;
    tx.commit().await?;
    let items: Vec<_> = rows.into_iter().map(|e| entry_view(district, e)).collect();
    Ok(paging.page(items, total))
}

/// The district's cycles (of one program, or all), each counted within the caller's scope.
pub async fn cycles(
    state: &AppState,
    auth: &Authorized,
    program: Option<&str>,
) -> Result<Vec<CycleView>, BenefitError> {
    auth.check(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycles = BenefitCycle::list(&mut tx, program).await?;
    let mut items = Vec::with_capacity(cycles.len());
    for cycle in cycles {
        let counts = BenefitEntry::counts(&mut tx, auth.scope, cycle.id).await?;
        items.push(cycle_view(district, cycle, counts));
    }
    tx.commit().await?;
    Ok(items)
}

/// One cycle, counted within the caller's scope.
pub async fn cycle(
    state: &AppState,
    auth: &Authorized,
    id: CycleId,
) -> Result<CycleView, BenefitError> {
    auth.check(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, id)
        .await?
        .ok_or(BenefitError::NotFound("没有找到该发放周期"))?;
    let counts = BenefitEntry::counts(&mut tx, auth.scope, cycle.id).await?;
    tx.commit().await?;
    Ok(cycle_view(district, cycle, counts))
}

/// The payment list's columns, as banks and finance offices keep them.
pub const PAYMENT_LIST_HEADERS: [&str; 9] = [
    "序号",
    "街道",
    "户主/受益人",
    "身份证号",
    "金额（元）",
    "项目",
    "期间",
    "状态",
    "付款凭证号",
];

/// A payable entry with its beneficiary: the parent of a person entry, or for a household entry the
/// first living parent (the mother before the father); `None` when the family is gone or has no such
/// parent.
struct Payee {
    entry: BenefitEntry,
    parent: Option<Parent>,
}

/// The cycle's approved and paid entries in `scope`, with their beneficiaries (families decoded in
/// chunks of a thousand).
async fn payees(
    conn: &mut AsyncPgConnection,
    codec: &Codec<'_>,
    scope: Scope,
    cycle: &BenefitCycle,
) -> Result<Vec<Payee>, BenefitError> {
    let entries = BenefitEntry::payable(conn, scope, cycle.id).await?;
    let mut payees = Vec::with_capacity(entries.len());
    for chunk in entries.chunks(1000) {
        let mut ids: Vec<FamilyId> = chunk.iter().map(|e| e.family_id).collect();
        ids.sort();
        ids.dedup();
        let records = families_by_ids(conn, &ids).await?;
        for entry in chunk {
            let family = records
                .iter()
                .find(|r| r.family.id == entry.family_id)
                .map(|r| codec.decode(r))
                .transpose()
                .map_err(|e| BenefitError::Decode(e.to_string()))?;
            let parent = family.and_then(|f| {
                f.parents.into_iter().find(|p| match entry.person.as_str() {
                    "household" => p.alive,
                    role => p.role.as_str() == role,
                })
            });
            payees.push(Payee {
                entry: entry.clone(),
                parent,
            });
        }
    }
    Ok(payees)
}

fn program_title(district: &District, cycle: &BenefitCycle) -> String {
    district
        .policy
        .as_ref()
        .and_then(|p| p.program(&cycle.program).map(|p| p.title.clone()))
        .unwrap_or_else(|| cycle.program.clone())
}

/// The rows of a cycle's payment list (approved and paid entries). Names and ID numbers are full only
/// with `Reveal::Full`.
pub async fn payment_rows(
    conn: &mut AsyncPgConnection,
    codec: &Codec<'_>,
    district: &District,
    scope: Scope,
    cycle: &BenefitCycle,
    reveal: Reveal,
) -> Result<Vec<Vec<String>>, BenefitError> {
    let title = program_title(district, cycle);
    let payees = payees(conn, codec, scope, cycle).await?;
    Ok(payees
        .into_iter()
        .enumerate()
        .map(|(i, Payee { entry, parent })| {
            let (name, id_number) = match (&parent, reveal) {
                (Some(p), Reveal::Full) => (p.name.clone(), p.resident_id.as_str().to_owned()),
                (Some(p), Reveal::Masked) => (mask_name(&p.name), p.resident_id.masked()),
                (None, _) => (String::new(), String::new()),
            };
            vec![
                (i + 1).to_string(),
                district.orgs.name_of(entry.street_id).to_owned(),
                name,
                id_number,
                entry.amount_cny.map(|a| a.to_string()).unwrap_or_default(),
                title.clone(),
                entry.period.clone(),
                entry.status.label().to_owned(),
                entry.payment_reference.clone().unwrap_or_default(),
            ]
        })
        .collect())
}

/// The bank's batch-payment (代发) layout: one row per transfer.
pub const BANK_FILE_HEADERS: [&str; 7] = [
    "序号",
    "收款人户名",
    "收款人账号",
    "开户银行",
    "金额（元）",
    "证件号码",
    "用途",
];

/// Entries that cannot go to the bank yet, and why.
pub const BANK_MISSING_HEADERS: [&str; 5] = ["序号", "街道", "受益人", "金额（元）", "原因"];

/// The transfers of a cycle's approved (not yet paid) cash entries, for the disbursing unit's bank: full
/// names, account numbers and ID numbers; and the entries that cannot be sent (no account registered,
/// no beneficiary, no amount), each with its reason, for the streets to complete.
pub struct BankFile {
    pub transfers: Vec<Vec<String>>,
    pub missing: Vec<Vec<String>>,
    /// Sum of the transfers (yuan).
    pub total_cny: i64,
}

pub async fn bank_file(
    conn: &mut AsyncPgConnection,
    codec: &Codec<'_>,
    district: &District,
    cycle: &BenefitCycle,
) -> Result<BankFile, BenefitError> {
    let purpose = format!("{} {}", program_title(district, cycle), cycle.period);
    let mut file = BankFile {
        transfers: Vec::new(),
        missing: Vec::new(),
        total_cny: 0,
    };
    for Payee { entry, parent } in payees(conn, codec, Scope::District, cycle).await? {
        if entry.status != EntryStatus::Approved {
            continue;
        }
        let street = district.orgs.name_of(entry.street_id).to_owned();
        let ready = match (&parent, entry.amount_cny) {
            (None, _) => Err("家庭中没有可领取的父母"),
            (_, None) => Err("金额未确定"),
            (Some(p), Some(amount)) => match &p.bank_account {
                None => Err("未登记银行账户"),
                Some(account) => Ok((p, account, amount)),
            },
        };
        match ready {
            Ok((parent, account, amount)) => {
                file.total_cny = file
                    .total_cny
                    .checked_add(amount)
                    .ok_or(BenefitError::Decode("payment total overflows".into()))?;
                file.transfers.push(vec![
                    (file.transfers.len() + 1).to_string(),
                    parent.name.clone(),
                    account.number.as_str().to_owned(),
                    account.bank.clone(),
                    amount.to_string(),
                    parent.resident_id.as_str().to_owned(),
                    purpose.clone(),
                ]);
            }
            Err(reason) => file.missing.push(vec![
                (file.missing.len() + 1).to_string(),
                street,
                parent.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
                entry.amount_cny.map(|a| a.to_string()).unwrap_or_default(),
                reason.to_owned(),
            ]),
        }
    }
    Ok(file)
}
