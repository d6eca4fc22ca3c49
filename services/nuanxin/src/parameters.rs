//! Dated policy parameter values a district's administrator enters once they are published (a new Beijing
//! minimum wage, a subsidy standard the document left to the district). They are kept in
//! `policy_parameter_values` and applied on top of the district's policy file whenever the district loads,
//! on every node: the file stays the document's text, the table holds what the district added since.

use chrono::NaiveDate;
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::parameter_value::{NewParameterValue, ParameterValue};
use nuanxin_db::models::tenant::Tenant;
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::MONEY_MAX_CNY;
use nuanxin_policy::{ParamValue, Policy};
use serde::Deserialize;
use serde_json::json;

use crate::audit;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::AppState;

/// A value as the administrator enters it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewValue {
    pub effective_from: NaiveDate,
    /// Whole units of the parameter; `null` withdraws the value from that date on.
    pub value: Option<i64>,
    /// The published document the value comes from.
    pub basis: String,
}

/// The district's policy: its file's, with the stored values applied. A stored value the file no longer
/// takes (a parameter since renamed, a date the file now has itself) is left out and logged, so a change
/// of the file never keeps a district from loading.
pub fn with_stored_values(file: &Policy, values: &[ParameterValue], district: &str) -> Policy {
    let mut policy = file.clone();
    for v in values {
        match policy.with_parameter_value(&v.parameter, v.effective_from, param_value(v.value)) {
            Ok(next) => policy = next,
            Err(e) => tracing::warn!(
                district,
                parameter = %v.parameter,
                effective_from = %v.effective_from,
                error = %e.message,
                "a stored parameter value no longer fits the policy file; left out"
            ),
        }
    }
    policy
}

fn param_value(value: Option<i64>) -> ParamValue {
    value.map_or(ParamValue::Unset, ParamValue::Int)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_parameter_value", field, message)
}

/// Saves a dated value of `parameter` after checking that the district's policy takes it (a known
/// parameter, a date the file does not fix itself, a value its unit allows); a second entry for the same
/// parameter and date corrects the first. Audited; every node applies it when it next reloads the
/// directory (this node at once).
pub async fn save(
    state: &AppState,
    auth: &Authorized,
    parameter: &str,
    new: NewValue,
) -> Result<ParameterValue, ApiError> {
    auth.require(Resource::Policy, Action::Update)?;
    let district = &auth.district;
    let file = district
        .policy_file
        .clone()
        .ok_or(ApiError::NotFound("本区尚未配置政策"))?;
    let basis = new.basis.trim().to_owned();
    if basis.is_empty() || basis.chars().count() > 200 {
        return Err(invalid(
            "basis",
            "请写明取值依据（公布该标准的文件名称或文号），不超过200字",
        ));
    }
    if new.value.is_some_and(|v| !(0..=MONEY_MAX_CNY).contains(&v)) {
        return Err(invalid("value", format!("取值应在0到{MONEY_MAX_CNY}之间")));
    }
    if file.parameter(parameter).is_none() {
        return Err(ApiError::NotFound("本区政策没有这个参数"));
    }
    if file.parameter(parameter).is_some_and(|p| {
        p.values
            .iter()
            .any(|e| e.effective_from == new.effective_from)
    }) {
        return Err(invalid(
            "effective_from",
            "这一日期的取值写在本区政策文件中，不能在此修改；请选择新标准的生效日期",
        ));
    }
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    // The policy as it would be: the other stored values, then this one.
    let others: Vec<ParameterValue> = ParameterValue::current(&mut tx)
        .await?
        .into_iter()
        .filter(|v| !(v.parameter == parameter && v.effective_from == new.effective_from))
        .collect();
    with_stored_values(&file, &others, &district.slug)
        .with_parameter_value(parameter, new.effective_from, param_value(new.value))
        .map_err(|e| invalid("value", e.message))?;
    let saved = NewParameterValue {
        tenant_id: district.id,
        parameter: parameter.to_owned(),
        effective_from: new.effective_from,
        value: new.value,
        basis,
        entered_by: auth.caller.session.user_id,
    }
    .insert(&mut tx)
    .await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "policy.parameter_value",
        "policy_parameter",
        parameter,
        json!({"effective_from": saved.effective_from, "value": saved.value, "basis": saved.basis}),
    )
    .await?;
    Tenant::directory_changed(&mut tx).await?;
    tx.commit().await?;
    let dir = crate::onboarding::tenants_dir(&state.settings.application.tenants_dir);
    let districts = crate::onboarding::load_districts(&state.pool, &dir)
        .await
        .map_err(ApiError::internal)?;
    state.districts.replace(districts);
    Ok(saved)
}
