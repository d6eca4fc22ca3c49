use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::forecast::{self, PolicyChange};
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterChange {
    name: String,
    effective_from: NaiveDate,
    /// Whole units of the parameter; `null` withdraws the value from that date.
    value: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactRequest {
    as_of: NaiveDate,
    /// A whole new policy file (YAML text) …
    policy_yaml: Option<String>,
    /// … or one new dated parameter value on top of the district's policy.
    parameter: Option<ParameterChange>,
}

/// Which families (by id and street) gain or lose which programs under a second policy version,
/// and the annual cost difference. For those who edit the policy.
pub async fn policy_impact(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<ImpactRequest>,
) -> Result<HttpResponse, ApiError> {
    let change = match (body.policy_yaml, body.parameter) {
        (Some(text), None) => PolicyChange::Yaml(text),
        (None, Some(p)) => PolicyChange::Parameter {
            name: p.name,
            effective_from: p.effective_from,
            value: p.value,
        },
        _ => {
            return Err(ApiError::bad_request(
                "one_change",
                "policy_yaml",
                "请给出新政策文本（policy_yaml）或一个参数变化（parameter），二者选一",
            ))
        }
    };
    let report = forecast::impact_for(state.into_inner(), &auth, change, body.as_of).await?;
    Ok(HttpResponse::Ok().json(report))
}
