//! A family's consents to a department's use of its data, for the rules that need one: recorded by
//! street or district staff with the date and how it was given, and withdrawable. A release under such
//! a rule holds only the families whose consent was in force on its approval day.

use chrono::{NaiveDate, Utc};
use nuanxin_access::Scope;
use nuanxin_db::models::family::FamilyRecord;
use nuanxin_db::models::sharing::Consent;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::sharing::ConsentHow;
use nuanxin_ids::FamilyId;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{rules_of, SharingError};
use crate::audit::{self, Actor};
use crate::state::District;

/// `POST /families/{id}/sharing-consents`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub org_unit: String,
    pub purpose: String,
    pub given_on: NaiveDate,
    /// `written`, `oral` or `online`.
    pub how: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /families/{id}/sharing-consents/withdraw`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    pub org_unit: String,
    pub purpose: String,
    /// Today in the district when absent.
    #[serde(default)]
    pub withdrawn_on: Option<NaiveDate>,
}

/// A consent as the family's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    pub org_unit: String,
    pub org_unit_name: String,
    pub purpose: String,
    pub given_on: NaiveDate,
    pub how: ConsentHow,
    pub note: Option<String>,
    pub withdrawn_on: Option<NaiveDate>,
    pub in_force: bool,
}

const NOTE_MAX: usize = 500;

fn check_rule(district: &District, org_unit: &str, purpose: &str) -> Result<(), SharingError> {
    let rules = rules_of(district)?;
    match rules
        .rules
        .iter()
        .find(|r| r.org_unit == org_unit && r.purpose == purpose)
    {
        None => Err(SharingError::invalid(
            "purpose",
            "该部门没有此用途的共享规则",
        )),
        Some(r) if !r.consent_required => Err(SharingError::invalid(
            "purpose",
            "该用途的共享规则不需要家庭同意",
        )),
        Some(_) => Ok(()),
    }
}

async fn family_in_scope(
    tx: &mut TenantTx,
    scope: Scope,
    family_id: FamilyId,
) -> Result<(), SharingError> {
    FamilyRecord::find(tx, scope, family_id)
        .await?
        .map(drop)
        .ok_or(SharingError::NotFound("没有找到该家庭"))
}

/// Records a family's consent (again, after a withdrawal).
pub async fn give(
    pool: &nuanxin_db::DbPool,
    district: &District,
    actor: &Actor,
    scope: Scope,
    family_id: FamilyId,
    input: ConsentInput,
) -> Result<(), SharingError> {
    check_rule(district, &input.org_unit, &input.purpose)?;
    let Some(how) = ConsentHow::parse(&input.how) else {
        return Err(SharingError::invalid(
            "how",
            "同意方式应为 written（书面）、oral（口头）或 online（线上）",
        ));
    };
    if input.given_on > district.today() {
        return Err(SharingError::invalid("given_on", "同意日期不能晚于今天"));
    }
    if input.given_on < nuanxin_domain::family::EARLIEST_DATE {
        return Err(SharingError::invalid("given_on", "同意日期不能早于1900年"));
    }
    let note = input
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if how == ConsentHow::Oral && note.is_none() {
        return Err(SharingError::invalid("note", "口头同意须注明见证人"));
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(SharingError::invalid("note", "备注不能超过500字"));
    }
    let mut tx = TenantTx::begin(pool, district.id).await?;
    family_in_scope(&mut tx, scope, family_id).await?;
    Consent {
        tenant_id: district.id,
        family_id,
        org_unit_code: input.org_unit.clone(),
        purpose: input.purpose.clone(),
        given_on: input.given_on,
        how,
        note,
        recorded_by: actor.actor.clone(),
        recorded_at: Utc::now(),
        withdrawn_on: None,
        withdrawn_by: None,
    }
    .give(&mut tx)
    .await?;
    audit::record(
        &tx,
        district.id,
        actor,
        "sharing_consent.give",
        "family",
        &family_id.to_string(),
        json!({"org_unit": input.org_unit, "purpose": input.purpose,
               "given_on": input.given_on, "how": how}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraws a consent in force (404 when there is none): no later release holds the family.
pub async fn withdraw(
    pool: &nuanxin_db::DbPool,
    district: &District,
    actor: &Actor,
    scope: Scope,
    family_id: FamilyId,
    input: WithdrawInput,
) -> Result<(), SharingError> {
    let on = input.withdrawn_on.unwrap_or_else(|| district.today());
    if on > district.today() {
        return Err(SharingError::invalid(
            "withdrawn_on",
            "撤回日期不能晚于今天",
        ));
    }
    let mut tx = TenantTx::begin(pool, district.id).await?;
    family_in_scope(&mut tx, scope, family_id).await?;
    if !Consent::withdraw(
        &mut tx,
        family_id,
        &input.org_unit,
        &input.purpose,
        on,
        &actor.actor,
    )
    .await?
    {
        return Err(SharingError::NotFound("该家庭没有此项有效的同意"));
    }
    audit::record(
        &tx,
        district.id,
        actor,
        "sharing_consent.withdraw",
        "family",
        &family_id.to_string(),
        json!({"org_unit": input.org_unit, "purpose": input.purpose, "withdrawn_on": on}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The family's consents (404 outside the caller's scope).
pub async fn of_family(
    pool: &nuanxin_db::DbPool,
    district: &District,
    scope: Scope,
    family_id: FamilyId,
) -> Result<Vec<ConsentView>, SharingError> {
    let mut tx = TenantTx::begin(pool, district.id).await?;
    family_in_scope(&mut tx, scope, family_id).await?;
    let rows = Consent::of_family(&mut tx, family_id).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|c| ConsentView {
            org_unit_name: district
                .orgs
                .by_code(&c.org_unit_code)
                .map_or_else(|| c.org_unit_code.clone(), |u| u.name.clone()),
            org_unit: c.org_unit_code,
            purpose: c.purpose,
            given_on: c.given_on,
            how: c.how,
            note: c.note,
            in_force: c.withdrawn_on.is_none(),
            withdrawn_on: c.withdrawn_on,
        })
        .collect())
}
