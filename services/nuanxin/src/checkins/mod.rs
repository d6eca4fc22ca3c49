//! Neighbour mutual-aid pairing and daily check-ins (issue 11): who is eligible, helpers, pairings with
//! both consents, check-ins, withdrawals, pauses, emergencies and alerts. Each operation is one
//! transaction in the caller's district and scope, audited; mail goes to the outbox in the same
//! transaction. The ladder and the sweep's decisions are the pure crate `nuanxin-checkins`; the sweep
//! that applies them is [`sweep`].

pub mod board;
pub mod demo;
pub mod notify;
pub mod sweep;

use nuanxin_ids::{AlertId, FamilyId, HelperId, PairingId, TenantId, UserId};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use nuanxin_access::Scope;
use nuanxin_checkins::Ladder;
use nuanxin_db::models::assignment::{end_assignments, NewAssignment};
use nuanxin_db::models::checkins::{
    AlertFilter, AlertRow, CheckInRow, EmergencyRow, Enrolment, HelperRow, PairingRow, PauseRow,
};
use nuanxin_db::models::user::User;
use nuanxin_domain::checkins::{
    days_off_bits, distance_m, required_text, AlertStatus, CheckInHow, EnrolReason, HelperInput,
    PairingInput, PauseReason, Side,
};
use nuanxin_domain::family::{Coordinates, Family, FamilyStatus, ParentRole};
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::ValidationErrors;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::registry::{Registry, RegistryError};
use crate::state::{AppState, District};
use crate::work::Work;

/// Assignments a pairing gives its helper's account (`Scope::Assigned` reads them).
pub const ASSIGNMENT_SOURCE: &str = "pairing";

/// What the check-in service refuses, and why.
#[derive(Debug, thiserror::Error)]
pub enum CheckinError {
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the district has no checkins.yaml")]
    NotConfigured,
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Tx(#[from] nuanxin_db::pool::TxError),
    #[error("cannot encrypt: {0}")]
    Cipher(String),
    /// The unit of work's commit, already in the HTTP layer's terms.
    #[error(transparent)]
    Commit(#[from] crate::error::ApiError),
}

impl From<ValidationErrors> for CheckinError {
    fn from(e: ValidationErrors) -> CheckinError {
        CheckinError::Validation(e)
    }
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> CheckinError {
    let mut errors = ValidationErrors::default();
    errors.push(field, code, message);
    CheckinError::Validation(errors)
}

/// The district's check-in configuration, or 404 for a district without one.
pub fn ladder(district: &District) -> Result<Arc<Ladder>, CheckinError> {
    district.checkins.clone().ok_or(CheckinError::NotConfigured)
}

/// Who is acting, as the check-in service needs to know them.
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    pub district: &'a District,
    pub scope: Scope,
    pub actor: &'a Actor,
    pub user_id: UserId,
}

impl<'a> Caller<'a> {
    /// The check-in service's view of the caller.
    pub fn of(auth: &'a Authorized) -> Caller<'a> {
        Caller {
            district: &auth.district,
            scope: auth.scope,
            actor: &auth.actor,
            user_id: auth.caller.session.user_id,
        }
    }

    /// A volunteer reaches elders only through their own pairings; staff through their org unit.
    fn is_helper_role(&self) -> bool {
        matches!(self.scope, Scope::Assigned { .. })
    }

    async fn audit(
        &self,
        work: &mut Work<'_>,
        action: &str,
        object_type: &str,
        id: impl Into<Uuid>,
        detail: serde_json::Value,
    ) -> Result<(), CheckinError> {
        audit::record(
            work,
            self.district.id,
            self.actor,
            action,
            object_type,
            &id.into().to_string(),
            detail,
        )
        .await?;
        Ok(())
    }
}

fn person_code(role: ParentRole) -> &'static str {
    match role {
        ParentRole::Mother => "mother",
        ParentRole::Father => "father",
    }
}

/// Whether `person` of `family` is eligible for a pairing on `today`: living, and enrolled by a
/// worker or entitled to one of the programs the district's `checkins.yaml` names.
async fn is_eligible(
    work: &mut Work<'_>,
    district: &District,
    ladder: &Ladder,
    family_id: FamilyId,
    family: &Family,
    person: ParentRole,
) -> Result<bool, CheckinError> {
    if !family.parents.iter().any(|p| p.role == person && p.alive) {
        return Ok(false);
    }
    if Enrolment::exists(work, family_id, person_code(person)).await? {
        return Ok(true);
    }
    let Some(policy) = district.policy.as_deref() else {
        return Ok(false);
    };
    let facts = nuanxin_policy::FamilyFacts::from(family);
    let evaluation = nuanxin_policy::evaluate(policy, &facts, district.today());
    Ok(ladder.programs().iter().any(|program| {
        evaluation.entitlement(program, Some(person)).is_some()
            || evaluation.entitlement(program, None).is_some()
    }))
}

fn not_eligible() -> CheckinError {
    invalid(
        "person",
        "not_eligible",
        "该成员不符合邻里互助结对条件（须享有本区规定的结对项目，或由街道、社区登记纳入）",
    )
}

/// Loads a family in scope and checks that `person` is eligible; the family and its coordinates.
async fn eligible_family(
    state: &AppState,
    work: &mut Work<'_>,
    who: Caller<'_>,
    ladder: &Ladder,
    family_id: FamilyId,
    person: ParentRole,
) -> Result<Family, CheckinError> {
    let registry = Registry::new(who.district, &state.keys);
    let (record, family) =
        registry
            .load(work, who.scope, family_id)
            .await
            .map_err(|e| match e {
                RegistryError::NotFound => CheckinError::NotFound("没有找到该家庭"),
                other => CheckinError::Registry(other),
            })?;
    if record.family.status != FamilyStatus::Active
        || !is_eligible(work, who.district, ladder, family_id, &family, person).await?
    {
        return Err(not_eligible());
    }
    Ok(family)
}

/// `POST /api/v1/pairings/enrolments`: a street or community worker enrols a member with a reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    pub family_id: FamilyId,
    pub person: ParentRole,
    pub reason: EnrolReason,
    pub note: Option<String>,
}

/// Enrols a member of a family in scope; true when newly enrolled.
pub async fn enrol(
    state: &AppState,
    who: Caller<'_>,
    input: EnrolInput,
) -> Result<bool, CheckinError> {
    let note = match (&input.reason, input.note.as_deref()) {
        (EnrolReason::Other, note) => Some(required_text(note.unwrap_or(""), "note", "纳入原因")?),
        (_, Some(note)) if !note.trim().is_empty() => Some(required_text(note, "note", "备注")?),
        _ => None,
    };
    let mut work = begin(state, who.district).await?;
    let registry = Registry::new(who.district, &state.keys);
    let (_, family) = registry
        .load(&mut work, who.scope, input.family_id)
        .await
        .map_err(|e| match e {
            RegistryError::NotFound => CheckinError::NotFound("没有找到该家庭"),
            other => CheckinError::Registry(other),
        })?;
    if !family
        .parents
        .iter()
        .any(|p| p.role == input.person && p.alive)
    {
        return Err(invalid("person", "not_found", "该家庭没有在世的这位成员"));
    }
    let enrolment = Enrolment {
        tenant_id: who.district.id,
        id: Uuid::new_v4(),
        family_id: input.family_id,
        person: person_code(input.person).to_owned(),
        reason: input.reason,
        note,
        enrolled_by: who.user_id,
        enrolled_at: Utc::now(),
    };
    let new = enrolment.insert(&mut work).await?;
    if new {
        who.audit(
            &mut work,
            "checkin.enrol",
            "family",
            input.family_id,
            serde_json::json!({"person": enrolment.person, "reason": enrolment.reason}),
        )
        .await?;
    }
    commit(work).await?;
    Ok(new)
}

/// Registers a neighbour helper in a community of the caller's street or community.
pub async fn create_helper(
    state: &AppState,
    who: Caller<'_>,
    input: HelperInput,
) -> Result<HelperId, CheckinError> {
    let helper = input.validate()?;
    let community = who
        .district
        .orgs
        .by_code(input.community.trim())
        .filter(|u| u.kind == OrgKind::Community)
        .ok_or_else(|| invalid("community", "unknown_community", "本区没有这个社区"))?;
    let reaches = match who.scope {
        Scope::District => true,
        Scope::Street(street) => community.parent_id == Some(street),
        Scope::Community(c) => community.id == c,
        Scope::Assigned { .. } | Scope::Nothing => false,
    };
    if !reaches {
        return Err(CheckinError::Forbidden);
    }
    let id = HelperId::generate();
    let mut work = begin(state, who.district).await?;
    let user_id = match input.username.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(
            User::by_username(&mut work, name)
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| invalid("username", "unknown_user", "本区没有这个在用的账号"))?
                .id,
        ),
    };
    let phone_enc = state
        .keys
        .cipher
        .try_encrypt(
            helper.phone.as_str().as_bytes(),
            &phone_aad(who.district.id, id),
        )
        .map_err(|e| CheckinError::Cipher(e.to_string()))?;
    HelperRow {
        tenant_id: who.district.id,
        id,
        name: helper.name,
        phone_enc,
        community_id: community.id,
        latitude: helper.location.lat,
        longitude: helper.location.lon,
        user_id,
        max_elders: helper.max_elders,
        created_by: who.user_id,
        created_at: Utc::now(),
    }
    .insert(&mut work)
    .await?;
    who.audit(
        &mut work,
        "checkin.helper.create",
        "checkin_helper",
        id,
        serde_json::json!({"community": community.code, "account": user_id.is_some()}),
    )
    .await?;
    commit(work).await?;
    Ok(id)
}

/// The associated data of a helper's encrypted phone: the ciphertext belongs to this helper only.
fn phone_aad(tenant: TenantId, helper: HelperId) -> Vec<u8> {
    format!("{tenant}|checkin_helpers|{helper}|phone").into_bytes()
}

async fn begin<'s>(state: &'s AppState, district: &District) -> Result<Work<'s>, CheckinError> {
    Ok(Work::new(
        state,
        nuanxin_db::pool::TenantTx::begin(&state.pool, district.id).await?,
    ))
}

async fn commit(work: Work<'_>) -> Result<(), CheckinError> {
    Ok(work.commit().await?)
}

/// A candidate helper for an elder.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub helper_id: HelperId,
    /// The helper's name, for the coordinator choosing (staff registered it).
    pub name: String,
    pub distance_m: i64,
    pub same_community: bool,
    /// Elders paired with the helper now.
    pub load: i64,
    pub max_elders: i16,
}

/// Candidate helpers for an eligible elder of a family in scope: those with room, within the
/// district's radius, same community first, then nearest, then least loaded.
pub async fn candidates(
    state: &AppState,
    who: Caller<'_>,
    family_id: FamilyId,
    person: ParentRole,
) -> Result<Vec<Candidate>, CheckinError> {
    let ladder = ladder(who.district)?;
    let mut work = begin(state, who.district).await?;
    let family = eligible_family(state, &mut work, who, &ladder, family_id, person).await?;
    let home = family.coordinates.ok_or_else(|| {
        invalid(
            "family_id",
            "no_location",
            "该家庭未登记住址坐标，无法按距离推荐结对邻居",
        )
    })?;
    let radius = f64::from(ladder.radius_m());
    // A box around the home a little wider than the radius; the exact distance decides.
    let dlat = radius / 111_000.0;
    let dlon = radius / (111_000.0 * home.lat.to_radians().cos().abs().max(0.01));
    let near = HelperRow::near(&mut work, home.lat, home.lon, dlat, dlon).await?;
    who.audit(
        &mut work,
        "checkin.candidates",
        "family",
        family_id,
        serde_json::json!({"person": person_code(person), "found": near.len()}),
    )
    .await?;
    commit(work).await?;
    let mut out: Vec<Candidate> = near
        .into_iter()
        .filter(|h| h.load < i64::from(h.max_elders))
        .map(|h| Candidate {
            helper_id: h.id,
            name: h.name,
            distance_m: distance_m(
                home,
                Coordinates {
                    lat: h.latitude,
                    lon: h.longitude,
                },
            ),
            same_community: h.community_id == family.community_id,
            load: h.load,
            max_elders: h.max_elders,
        })
        .filter(|c| c.distance_m <= i64::from(ladder.radius_m()))
        .collect();
    out.sort_by_key(|c| (!c.same_community, c.distance_m, c.load, c.helper_id));
    Ok(out)
}

/// Pairs an eligible elder with a helper, both consents recorded (who took them: the caller).
pub async fn create_pairing(
    state: &AppState,
    who: Caller<'_>,
    input: PairingInput,
) -> Result<PairingId, CheckinError> {
    let ladder = ladder(who.district)?;
    let now = who.district.local(Utc::now()).naive_local();
    let terms = input.validate(now, ladder.deadline(), ladder.days_off())?;
    let mut work = begin(state, who.district).await?;
    eligible_family(
        state,
        &mut work,
        who,
        &ladder,
        input.family_id,
        input.person,
    )
    .await?;
    let helper = HelperRow::lock(&mut work, input.helper_id)
        .await?
        .ok_or_else(|| invalid("helper_id", "unknown_helper", "没有找到该结对邻居"))?;
    if HelperRow::load(&mut work, helper.id).await? >= i64::from(helper.max_elders) {
        return Err(CheckinError::Conflict {
            code: "helper_full",
            message: format!("该结对邻居已结对{}位老人，达到上限", helper.max_elders),
        });
    }
    let id = PairingId::generate();
    let minutes = terms.deadline.hour() * 60 + terms.deadline.minute();
    PairingRow {
        tenant_id: who.district.id,
        id,
        family_id: input.family_id,
        person: person_code(input.person).to_owned(),
        helper_id: helper.id,
        elder_consent_on: terms.elder_consent.on,
        elder_consent_how: terms.elder_consent.how,
        elder_consent_by: who.user_id,
        helper_consent_on: terms.helper_consent.on,
        helper_consent_how: terms.helper_consent.how,
        helper_consent_by: who.user_id,
        deadline_minute: i16::try_from(minutes).unwrap_or(0),
        days_off: days_off_bits(&terms.days_off),
        starts_on: terms.starts_on,
        created_by: who.user_id,
        created_at: Utc::now(),
        ended_at: None,
        ended_side: None,
        ended_reason: None,
        ended_by: None,
    }
    .insert(&mut work)
    .await?;
    if let Some(user) = helper.user_id {
        NewAssignment {
            tenant_id: who.district.id,
            source: ASSIGNMENT_SOURCE,
            source_id: id.into(),
            family_id: input.family_id,
            user_id: Some(user),
            org_unit_id: None,
        }
        .grant(&mut work)
        .await?;
    }
    who.audit(
        &mut work,
        "pairing.create",
        "family",
        input.family_id,
        serde_json::json!({"pairing": id, "person": person_code(input.person),
            "elder_consent": terms.elder_consent.how.as_str(),
            "helper_consent": terms.helper_consent.how.as_str()}),
    )
    .await?;
    commit(work).await?;
    Ok(id)
}

/// A pairing in scope that the caller may act on as its helper or as staff: a volunteer only on the
/// pairings of their own helper record. Also whether the caller acts as the helper themselves.
async fn reachable_pairing(
    work: &mut Work<'_>,
    who: Caller<'_>,
    id: PairingId,
) -> Result<(PairingRow, bool), CheckinError> {
    let pairing = PairingRow::find(work, who.scope, id)
        .await?
        .ok_or(CheckinError::NotFound("没有找到该结对"))?;
    let helper = HelperRow::find(work, pairing.helper_id).await?;
    let is_own = helper.and_then(|h| h.user_id) == Some(who.user_id);
    if who.is_helper_role() && !is_own {
        // Reached through another of the family's pairings: not this volunteer's elder.
        return Err(CheckinError::NotFound("没有找到该结对"));
    }
    Ok((pairing, is_own))
}

/// `POST /api/v1/pairings/{id}/check-ins`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    pub outcome: nuanxin_checkins::Outcome,
    pub how: CheckInHow,
}

/// A logged check-in.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedCheckIn {
    pub id: Uuid,
    pub day: NaiveDate,
    pub on_behalf: bool,
}

/// Logs a check-in by the pairing's helper, or by staff on behalf of one; a worrying outcome is swept
/// at once after the commit (the minute's sweep would raise it too, a minute later).
pub async fn check_in(
    state: &AppState,
    who: Caller<'_>,
    pairing_id: PairingId,
    input: CheckInInput,
    now: DateTime<Utc>,
) -> Result<LoggedCheckIn, CheckinError> {
    ladder(who.district)?;
    let mut work = begin(state, who.district).await?;
    let (pairing, is_own) = reachable_pairing(&mut work, who, pairing_id).await?;
    if pairing.ended_at.is_some() {
        return Err(CheckinError::Conflict {
            code: "pairing_ended",
            message: "该结对已解除，不再探询".into(),
        });
    }
    let day = who.district.local(now).date_naive();
    let row = CheckInRow {
        tenant_id: who.district.id,
        id: Uuid::new_v4(),
        pairing_id,
        logged_at: now,
        day,
        outcome: input.outcome,
        how: input.how,
        logged_by: who.user_id,
        on_behalf: !is_own,
    };
    row.insert(&mut work).await?;
    who.audit(
        &mut work,
        "check_in.create",
        "family",
        pairing.family_id,
        serde_json::json!({"pairing": pairing_id, "outcome": row.outcome, "how": row.how}),
    )
    .await?;
    commit(work).await?;
    // Escalations and all-clears go out now rather than at the next minute's sweep; if this fails the
    // minute's sweep raises the same keys.
    if let Err(e) = sweep::sweep_pairing(&state.pool, who.district, now, pairing.id).await {
        tracing::warn!(error = %e, "immediate sweep after a check-in failed; the next sweep raises it");
    }
    Ok(LoggedCheckIn {
        id: row.id,
        day,
        on_behalf: row.on_behalf,
    })
}

/// `POST /api/v1/pairings/{id}/withdraw`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    pub side: Side,
    pub reason: String,
}

/// Ends a pairing in scope because one side withdrew consent: check-ins stop at once, the helper's
/// access to the family ends, the history stays.
pub async fn withdraw(
    state: &AppState,
    who: Caller<'_>,
    pairing_id: PairingId,
    input: WithdrawInput,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, CheckinError> {
    let reason = required_text(&input.reason, "reason", "撤回同意的原因")?;
    let mut work = begin(state, who.district).await?;
    let pairing = PairingRow::find(&mut work, who.scope, pairing_id)
        .await?
        .ok_or(CheckinError::NotFound("没有找到该结对"))?;
    if !PairingRow::end(
        &mut work,
        pairing_id,
        now,
        input.side.as_str(),
        &reason,
        who.user_id,
    )
    .await?
    {
        return Err(CheckinError::Conflict {
            code: "already_ended",
            message: "该结对已解除".into(),
        });
    }
    end_assignments(&mut work, ASSIGNMENT_SOURCE, pairing_id.into(), now).await?;
    who.audit(
        &mut work,
        "pairing.withdraw",
        "family",
        pairing.family_id,
        serde_json::json!({"pairing": pairing_id, "side": input.side.as_str()}),
    )
    .await?;
    commit(work).await?;
    Ok(now)
}

/// `POST /api/v1/pairings/{id}/pauses`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseInput {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub reason: PauseReason,
}

/// Records a pause of a pairing's check-ins: its own record, never undone by another.
pub async fn pause(
    state: &AppState,
    who: Caller<'_>,
    pairing_id: PairingId,
    input: PauseInput,
) -> Result<Uuid, CheckinError> {
    if input.until.is_some_and(|u| u < input.from) {
        return Err(invalid(
            "until",
            "before_from",
            "暂停的结束日期不能早于开始日期",
        ));
    }
    let mut work = begin(state, who.district).await?;
    let pairing = PairingRow::find(&mut work, who.scope, pairing_id)
        .await?
        .ok_or(CheckinError::NotFound("没有找到该结对"))?;
    if pairing.ended_at.is_some() {
        return Err(CheckinError::Conflict {
            code: "pairing_ended",
            message: "该结对已解除".into(),
        });
    }
    let id = Uuid::new_v4();
    PauseRow {
        tenant_id: who.district.id,
        id,
        pairing_id,
        starts_on: input.from,
        ends_on: input.until,
        reason: input.reason,
        created_by: who.user_id,
        created_at: Utc::now(),
    }
    .insert(&mut work)
    .await?;
    who.audit(
        &mut work,
        "pairing.pause",
        "family",
        pairing.family_id,
        serde_json::json!({"pairing": pairing_id, "from": input.from, "until": input.until}),
    )
    .await?;
    commit(work).await?;
    Ok(id)
}

/// `POST /api/v1/pairings/{id}/emergencies`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyInput {
    pub what: String,
    pub ambulance: bool,
    pub hospital: Option<String>,
    pub outcome: Option<String>,
}

/// Records an emergency and tells the community worker, the street and the family's contact persons
/// in the same transaction (outbox).
pub async fn emergency(
    state: &AppState,
    who: Caller<'_>,
    pairing_id: PairingId,
    input: EmergencyInput,
) -> Result<(Uuid, usize), CheckinError> {
    let what = required_text(&input.what, "what", "发生的情况")?;
    let optional = |v: Option<String>, field: &str, what: &str| match v {
        Some(t) if !t.trim().is_empty() => required_text(&t, field, what).map(Some),
        _ => Ok(None),
    };
    let hospital = optional(input.hospital, "hospital", "送往的医院")?;
    let outcome = optional(input.outcome, "outcome", "处理结果")?;
    let mut work = begin(state, who.district).await?;
    let (pairing, _) = reachable_pairing(&mut work, who, pairing_id).await?;
    let id = Uuid::new_v4();
    let row = EmergencyRow {
        tenant_id: who.district.id,
        id,
        pairing_id,
        what,
        ambulance: input.ambulance,
        hospital,
        outcome,
        recorded_by: who.user_id,
        recorded_at: Utc::now(),
    };
    row.insert(&mut work).await?;
    let told = notify::emergency(&mut work, who.district, &pairing, &row).await?;
    who.audit(
        &mut work,
        "pairing.emergency",
        "family",
        pairing.family_id,
        serde_json::json!({"pairing": pairing_id, "ambulance": row.ambulance, "told": told}),
    )
    .await?;
    commit(work).await?;
    Ok((id, told))
}

/// An alert as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    pub id: AlertId,
    pub pairing_id: PairingId,
    /// The ladder's rung, 1 for the first step.
    pub level: i16,
    /// Who it alerts: `helper`, `community_worker`, `street_office`, `district_office`.
    pub recipient: String,
    pub cause: nuanxin_checkins::Cause,
    pub day: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
    pub late: bool,
    pub status: AlertStatus,
    pub finding: Option<String>,
}

impl From<AlertRow> for AlertView {
    fn from(a: AlertRow) -> AlertView {
        let status = AlertStatus::of(a.acknowledged_at.is_some(), a.cleared_at.is_some());
        AlertView {
            id: a.id,
            pairing_id: a.pairing_id,
            level: a.step + 1,
            recipient: a.recipient,
            cause: a.cause,
            day: a.day,
            due_at: a.due_at,
            raised_at: a.raised_at,
            late: a.late,
            status,
            finding: a.finding,
        }
    }
}

/// The alerts of pairings in scope (a volunteer: of their own pairings only).
pub async fn alerts(
    state: &AppState,
    who: Caller<'_>,
    open_only: bool,
) -> Result<Vec<AlertView>, CheckinError> {
    let mut work = begin(state, who.district).await?;
    let helper = if who.is_helper_role() {
        match HelperRow::of_user(&mut work, who.user_id).await? {
            Some(h) => Some(h.id),
            None => return Ok(Vec::new()),
        }
    } else {
        None
    };
    let filter = AlertFilter {
        open_only,
        helper,
        since: None,
    };
    let rows = AlertRow::list(&mut work, who.scope, filter).await?;
    commit(work).await?;
    Ok(rows.into_iter().map(AlertView::from).collect())
}

/// Acknowledges an alert with what was found; the day's other alerts are acknowledged with it (one
/// person looked: the ladder stops). Returns how many alerts it closed.
pub async fn acknowledge(
    state: &AppState,
    who: Caller<'_>,
    alert_id: AlertId,
    finding: &str,
    now: DateTime<Utc>,
) -> Result<usize, CheckinError> {
    let finding = required_text(finding, "finding", "处理情况")?;
    let mut work = begin(state, who.district).await?;
    let alert = AlertRow::lock(&mut work, who.scope, alert_id)
        .await?
        .ok_or(CheckinError::NotFound("没有找到该提醒"))?;
    reachable_pairing(&mut work, who, alert.pairing_id)
        .await
        .map_err(|_| CheckinError::NotFound("没有找到该提醒"))?;
    AlertStatus::of(alert.acknowledged_at.is_some(), alert.cleared_at.is_some())
        .acknowledge()
        .map_err(|e| CheckinError::Conflict {
            code: "already_acknowledged",
            message: e.to_string(),
        })?;
    let closed = AlertRow::acknowledge_day(
        &mut work,
        alert.pairing_id,
        alert.day,
        now,
        who.user_id,
        &finding,
    )
    .await?;
    who.audit(
        &mut work,
        "check_in_alert.acknowledge",
        "check_in_alert",
        alert_id,
        serde_json::json!({"pairing": alert.pairing_id, "closed": closed}),
    )
    .await?;
    commit(work).await?;
    Ok(closed)
}
