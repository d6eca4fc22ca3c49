//! Data sharing between departments (issue 12): requests checked against the district's
//! `sharing.yaml`, the steward's decisions, releases built at approval, their records, aggregates and
//! export, verification queries, consents and each family's access log. Nothing here knows HTTP; the
//! rules, request checking, minimisation and suppression are the pure crate `nuanxin-sharing`.
//!
//! Every use of a release (a page of records, an aggregate, an export) and every verification is an
//! audit event, handed to the read log like a family read; approval and revocation are audit events of
//! their own in the transactions that make them.

pub mod access_log;
pub mod aggregate;
pub mod consent;
pub mod expiry;
pub mod held;
pub mod limit;
mod mail;
pub mod records;
pub mod release;
pub mod requests;
pub mod verify;

use nuanxin_domain::sharing::ReleaseBuild;
use nuanxin_ids::OrgUnitId;
use std::sync::Arc;

use nuanxin_access::{Action, Resource};
use nuanxin_db::models::sharing::DataRelease;
use nuanxin_db::pool::TxError;
use nuanxin_domain::sharing::{readability, Readability};
use nuanxin_sharing::{Field, Mode, RequestError, Rule, SharingRules};
use serde::Serialize;

use crate::auth::Authorized;
use crate::state::District;
use requests::Viewer;

#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    /// The district has no `sharing.yaml`: nothing can be requested.
    #[error("本区尚未配置数据共享规则")]
    NoRules,
    /// What was asked is outside the rules: every problem with its field path.
    #[error("申请不符合共享规则")]
    Invalid(Vec<RequestError>),
    #[error("{0}")]
    NotFound(&'static str),
    /// The caller may not do this (403).
    #[error("no authority for this")]
    Forbidden,
    /// Nobody decides their own request.
    #[error("不能审批本人提出的申请")]
    OwnRequest,
    #[error("{0}")]
    Conflict(&'static str),
    /// An expired or revoked release (410).
    #[error("{0}")]
    Gone(&'static str),
    #[error("请求过于频繁，请{retry_after}秒后再试")]
    TooMany { retry_after: u64 },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Tx(#[from] TxError),
    #[error("stored data does not decode: {0}")]
    Decode(String),
    #[error("worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
    #[error(transparent)]
    ReadLog(#[from] crate::audit::reads::ReadLogFull),
}

impl From<crate::auth::authorized::Refused> for SharingError {
    fn from(_: crate::auth::authorized::Refused) -> SharingError {
        SharingError::Forbidden
    }
}

impl SharingError {
    /// One problem at `field`.
    pub fn invalid(field: &str, message: &str) -> SharingError {
        SharingError::Invalid(vec![RequestError {
            field: field.to_owned(),
            message: message.to_owned(),
        }])
    }
}

/// Whose requests and releases the caller sees: the steward every department's, a department's
/// staff their own unit's (403 for anyone without a unit).
pub fn viewer(auth: &Authorized) -> Result<Viewer, SharingError> {
    if auth.may(Resource::DataRequest, Action::Approve) {
        return Ok(Viewer::Steward);
    }
    own_unit(auth).map(Viewer::Unit)
}

/// The caller's org unit: a release is read by the unit it was released to.
pub fn own_unit(auth: &Authorized) -> Result<OrgUnitId, SharingError> {
    auth.caller
        .session
        .org_unit_id
        .ok_or(SharingError::Forbidden)
}

/// The district's rules, or [`SharingError::NoRules`].
pub fn rules_of(district: &District) -> Result<Arc<SharingRules>, SharingError> {
    district.sharing.clone().ok_or(SharingError::NoRules)
}

/// One field as a rule releases it, for the requester and the steward: how it will look.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub field: &'static str,
    pub label: &'static str,
    pub mode: &'static str,
    pub mode_label: &'static str,
    /// A made-up value in the mode (`110105********002X`).
    pub example: &'static str,
}

impl FieldView {
    pub fn new(field: Field, mode: Mode) -> FieldView {
        FieldView {
            field: field.as_str(),
            label: field.label(),
            mode: mode.as_str(),
            mode_label: mode.label(),
            example: field.example(mode),
        }
    }
}

/// A rule as `GET /sharing/rules` and the steward's view show it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub org_unit: String,
    pub org_unit_name: String,
    pub purpose: String,
    pub basis: String,
    pub clause: String,
    pub max_days: u32,
    pub consent: bool,
    pub filters: Vec<&'static str>,
    pub verifications: Vec<String>,
    pub fields: Vec<FieldView>,
}

impl RuleView {
    pub fn new(rule: &Rule, district: &District) -> RuleView {
        RuleView {
            org_unit: rule.org_unit.clone(),
            org_unit_name: district
                .orgs
                .by_code(&rule.org_unit)
                .map_or_else(|| rule.org_unit.clone(), |u| u.name.clone()),
            purpose: rule.purpose.clone(),
            basis: rule.basis.document.clone(),
            clause: rule.basis.clause.clone(),
            max_days: rule.max_days,
            consent: rule.consent_required,
            filters: rule.filters.iter().map(|f| f.code()).collect(),
            verifications: rule.verifications.iter().cloned().collect(),
            fields: rule
                .fields
                .iter()
                .map(|&(f, m)| FieldView::new(f, m))
                .collect(),
        }
    }
}

/// The rules `org_unit` may request under, or every rule for the steward (`None`).
pub fn rule_views(district: &District, org_unit: Option<&str>) -> Vec<RuleView> {
    district.sharing.as_ref().map_or_else(Vec::new, |rules| {
        rules
            .rules
            .iter()
            .filter(|r| org_unit.is_none_or(|u| r.org_unit == u))
            .map(|r| RuleView::new(r, district))
            .collect()
    })
}

/// A release's fields with their modes, as stored (`[[field, mode], …]`).
pub fn release_fields(release: &DataRelease) -> Vec<(Field, Mode)> {
    serde_json::from_value::<Vec<(String, String)>>(release.fields.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(f, m)| Some((Field::parse(&f)?, Mode::parse(&m)?)))
        .collect()
}

/// Refuses a release that cannot be read today (410 expired or revoked, 409 still being written).
pub fn check_readable(release: &DataRelease, district: &District) -> Result<(), SharingError> {
    match readability(
        release.state == ReleaseBuild::Ready,
        release.revoked_at.is_some(),
        release.expires_on,
        district.today(),
    ) {
        Readability::Readable => Ok(()),
        Readability::Building => Err(SharingError::Conflict("数据发布正在生成，请稍后再试")),
        Readability::Expired => Err(SharingError::Gone("数据发布已过期")),
        Readability::Revoked => Err(SharingError::Gone("数据发布已被撤销")),
    }
}
