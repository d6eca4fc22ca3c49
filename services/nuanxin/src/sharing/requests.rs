//! A department's requests: made against the rules, listed for the department and for the steward,
//! shown to the steward beside their rule, and rejected with a reason.

use nuanxin_ids::{DataReleaseId, DataRequestId, OrgUnitId, UserId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::sharing::{DataRelease, DataRequest};
use nuanxin_db::pool::{DbPool, TenantTx};
use nuanxin_domain::org::OrgKind;
use nuanxin_domain::sharing::{Decision, RequestStatus};
use nuanxin_sharing::{check_request, Directory, Field, Request, Rule, SharingRules};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::release::{count_covered, decision_error, Selection};
use super::{mail, rules_of, FieldView, RuleView, SharingError};
use crate::audit::{self, Actor};
use crate::auth::Authorized;
use crate::benefits::Access;
use crate::state::District;

/// Whose requests and releases a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The data steward (the district office): every department's.
    Steward,
    /// A department's staff: their unit's own.
    Unit(OrgUnitId),
}

impl Viewer {
    pub fn unit(self) -> Option<OrgUnitId> {
        match self {
            Viewer::Steward => None,
            Viewer::Unit(u) => Some(u),
        }
    }

    /// Whether this viewer sees what `org_unit_id` asked for or received.
    pub fn sees(self, org_unit_id: OrgUnitId) -> bool {
        self.unit().is_none_or(|u| u == org_unit_id)
    }
}

/// The district's codes a request may name: its streets and its policy's programs.
pub fn directory(district: &District) -> Directory {
    let mut dir = Directory::default();
    for unit in district.orgs.units() {
        dir.org_units.insert(unit.code.clone());
    }
    dir.streets = district
        .orgs
        .of_kind(OrgKind::Street)
        .map(|s| s.code.clone())
        .collect();
    if let Some(policy) = &district.policy {
        dir.programs = policy.programs().iter().map(|p| p.code.clone()).collect();
    }
    dir
}

/// The rule `req` from `unit_code` falls under, or every problem with its field.
pub fn checked_rule<'r>(
    rules: &'r SharingRules,
    district: &District,
    unit_code: &str,
    req: &Request,
) -> Result<&'r Rule, SharingError> {
    check_request(rules, &directory(district), unit_code, req).map_err(SharingError::Invalid)
}

/// A stored request as the crate's request.
pub fn stored_request(row: &DataRequest) -> Request {
    Request {
        purpose: row.purpose.clone(),
        fields: serde_json::from_value(row.fields.clone()).unwrap_or_default(),
        filter: serde_json::from_value(row.filter.clone()).unwrap_or_default(),
        days: i64::from(row.days),
    }
}

/// A department asks for data: checked against its rules, stored as pending, the steward told.
pub async fn create(
    pool: &DbPool,
    district: &District,
    actor: &Actor,
    org_unit_id: OrgUnitId,
    req: Request,
) -> Result<DataRequest, SharingError> {
    let rules = rules_of(district)?;
    let unit = district
        .orgs
        .get(org_unit_id)
        .ok_or(SharingError::invalid("purpose", "本账号不属于任何部门"))?;
    checked_rule(&rules, district, &unit.code, &req)?;
    let row = DataRequest {
        tenant_id: district.id,
        id: DataRequestId::generate(),
        org_unit_id,
        requested_by: actor.user_id,
        purpose: req.purpose.clone(),
        fields: json!(req.fields),
        filter: json!(req.filter),
        days: i32::try_from(req.days).unwrap_or(1),
        status: RequestStatus::Pending,
        decided_by: None,
        decided_at: None,
        reason: None,
        created_at: Utc::now(),
    };
    let mut tx = TenantTx::begin(pool, district.id).await?;
    row.insert(&mut tx).await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "data_request.create",
        "data_request",
        &row.id.to_string(),
        json!({"org_unit": unit.code, "purpose": row.purpose, "fields": row.fields,
               "filter": row.filter, "days": row.days}),
    )
    .await?;
    mail::new_request(&mut tx, district, &row).await?;
    tx.commit().await?;
    Ok(row)
}

/// A request as lists and the steward's view show it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub id: DataRequestId,
    pub org_unit: String,
    pub org_unit_name: String,
    pub purpose: String,
    /// Each field asked, in the mode its rule releases it (`mode` empty when the rule no longer has it).
    pub fields: Vec<FieldView>,
    pub filter: Map<String, Value>,
    pub days: i32,
    pub status: &'static str,
    pub status_label: &'static str,
    pub requested_by: UserId,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub release_id: Option<DataReleaseId>,
}

fn view(district: &District, row: &DataRequest, release: Option<&DataRelease>) -> RequestView {
    let req = stored_request(row);
    let unit = district.orgs.get(row.org_unit_id);
    let unit_code = unit.map_or("", |u| u.code.as_str());
    let rule = district.sharing.as_ref().and_then(|rules| {
        rules
            .rules
            .iter()
            .find(|r| r.org_unit == unit_code && r.purpose == row.purpose)
    });
    let status = row.status;
    RequestView {
        id: row.id,
        org_unit: unit_code.to_owned(),
        org_unit_name: unit.map_or_else(String::new, |u| u.name.clone()),
        purpose: row.purpose.clone(),
        fields: req
            .fields
            .iter()
            .filter_map(|code| {
                let field = Field::parse(code)?;
                let mode = rule.and_then(|r| r.mode_of(field))?;
                Some(FieldView::new(field, mode))
            })
            .collect(),
        filter: req
            .filter
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
        days: row.days,
        status: status.as_str(),
        status_label: status.label(),
        requested_by: row.requested_by,
        created_at: row.created_at,
        decided_at: row.decided_at,
        reason: row.reason.clone(),
        release_id: release.map(|r| r.id),
    }
}

/// Requests the viewer sees, newest first, optionally of one status.
pub async fn list(
    pool: &DbPool,
    district: &District,
    viewer: Viewer,
    status: Option<RequestStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<RequestView>, SharingError> {
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let rows = DataRequest::list(&mut tx, viewer.unit(), status, limit, offset).await?;
    let ids: Vec<DataRequestId> = rows.iter().map(|r| r.id).collect();
    let releases: HashMap<DataRequestId, DataRelease> = DataRelease::of_requests(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|r| (r.request_id, r))
        .collect();
    tx.commit().await?;
    Ok(rows
        .iter()
        .map(|r| view(district, r, releases.get(&r.id)))
        .collect())
}

/// The steward's view of one request: beside its rule, how each field will be released, how many
/// families it covers today, and what no longer fits the rules.
#[derive(Debug, Clone, Serialize)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestView,
    pub rule: Option<RuleView>,
    /// Families the request selects today (pending requests only; consent counted where needed).
    pub families: Option<i64>,
    /// Problems with the request under today's rules (`field`, `message`).
    pub problems: Vec<Value>,
}

/// One request the caller sees (404 otherwise), with its rule; the steward also sees how many
/// families it covers today (for a department, counts of its own filters would let it narrow a
/// family down). The API's answer and the console's steward page.
pub async fn detail(
    access: &Access,
    auth: &Authorized,
    id: DataRequestId,
) -> Result<RequestDetail, SharingError> {
    auth.check(Resource::DataRequest, Action::List)?;
    let viewer = super::viewer(auth)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(access.pool(), district.id).await?;
    let row = DataRequest::find(&mut tx, id)
        .await?
        .filter(|r| viewer.sees(r.org_unit_id))
        .ok_or(SharingError::NotFound("没有找到该申请"))?;
    let release = DataRelease::of_request(&mut tx, id).await?;
    tx.commit().await?;
    let request = view(district, &row, release.as_ref());
    let rules = rules_of(district)?;
    let asked = stored_request(&row);
    let (rule, problems) = match checked_rule(&rules, district, &request.org_unit, &asked) {
        Ok(rule) => (Some(rule.clone()), Vec::new()),
        Err(SharingError::Invalid(problems)) => (
            rules
                .rules
                .iter()
                .find(|r| r.org_unit == request.org_unit && r.purpose == row.purpose)
                .cloned(),
            problems
                .into_iter()
                .map(|p| json!({"field": p.field, "message": p.message}))
                .collect(),
        ),
        Err(e) => return Err(e),
    };
    let families = match (&rule, row.status, problems.is_empty()) {
        (Some(rule), RequestStatus::Pending, true) if viewer == Viewer::Steward => Some(
            count_covered(
                access,
                district,
                &Selection {
                    rule: rule.clone(),
                    filter: asked.filter,
                    on: district.today(),
                },
            )
            .await?,
        ),
        _ => None,
    };
    Ok(RequestDetail {
        request,
        rule: rule.as_ref().map(|r| RuleView::new(r, district)),
        families,
        problems,
    })
}

/// The longest reason a steward may give.
const REASON_MAX: usize = 500;

/// The steward rejects a pending request with a reason; the requester is told.
pub async fn reject(
    pool: &DbPool,
    district: &District,
    actor: &Actor,
    id: DataRequestId,
    reason: &str,
) -> Result<(), SharingError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(SharingError::invalid("reason", "请填写驳回理由"));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(SharingError::invalid("reason", "驳回理由不能超过500字"));
    }
    let mut tx = TenantTx::begin(pool, district.id).await?;
    let row = DataRequest::find(&mut tx, id)
        .await?
        .ok_or(SharingError::NotFound("没有找到该申请"))?;
    Decision::Reject
        .apply(row.status, row.requested_by, actor.user_id)
        .map_err(decision_error)?;
    let decided = DataRequest::decide(
        &mut tx,
        id,
        RequestStatus::Rejected,
        actor.user_id,
        Utc::now(),
        Some(reason),
    )
    .await?
    .ok_or(SharingError::Conflict("该申请已被处理"))?;
    audit::record(
        &tx,
        district.id,
        actor,
        "data_request.reject",
        "data_request",
        &id.to_string(),
        json!({"reason": reason}),
    )
    .await?;
    mail::decision(&mut tx, district, &decided, None, Some(reason)).await?;
    tx.commit().await?;
    Ok(())
}
