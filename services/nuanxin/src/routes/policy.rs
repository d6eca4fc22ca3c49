//! `/api/v1/policy`: evaluate family facts against the caller's district policy, and save a new dated
//! value of one of its parameters.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use super::Body;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::extract::from_value;
use crate::state::{AppState, District};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/policy/evaluate", web::post().to(evaluate))
        .route(
            "/policy/parameters/{name}/values",
            web::post().to(save_parameter_value),
        );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    as_of: NaiveDate,
    facts: serde_json::Value,
    #[serde(default)]
    explain: bool,
}

/// What a family with `facts` is entitled to on `as_of` under the district's policy.
pub fn evaluation(
    district: &District,
    facts: serde_json::Value,
    as_of: NaiveDate,
) -> Result<nuanxin_policy::Evaluation<'_>, ApiError> {
    let policy = district
        .policy
        .as_ref()
        .ok_or(ApiError::NotFound("本区尚未配置政策"))?;
    let facts: nuanxin_policy::FamilyFacts = from_value(facts, "facts.")?;
    Ok(nuanxin_policy::evaluate(policy, &facts, as_of))
}

/// Evaluates facts (SPEC's canonical JSON) with the district's policy on a date.
pub fn evaluate_family(
    district: &District,
    facts: serde_json::Value,
    as_of: NaiveDate,
    explain: bool,
) -> Result<serde_json::Value, ApiError> {
    let evaluation = evaluation(district, facts, as_of)?;
    Ok(if explain {
        evaluation.to_explained_json(&district.slug, as_of)
    } else {
        evaluation.to_output_json(&district.slug, as_of)
    })
}

async fn evaluate(
    auth: Authorized,
    Body(body): Body<EvaluateRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Policy, Action::Evaluate)?;
    let district = &auth.district;
    Ok(HttpResponse::Ok().json(evaluate_family(
        district,
        body.facts,
        body.as_of,
        body.explain,
    )?))
}

/// A dated parameter value saved: what was stored, with who entered it and when.
#[derive(serde::Serialize)]
struct SavedValue {
    parameter: String,
    effective_from: NaiveDate,
    value: Option<i64>,
    basis: String,
    entered_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /policy/parameters/{name}/values`: a new dated value of one of the district's parameters (the
/// district administrator), applied from then on by every evaluation, cycle and forecast.
async fn save_parameter_value(
    state: web::Data<AppState>,
    auth: Authorized,
    name: web::Path<String>,
    Body(body): Body<crate::parameters::NewValue>,
) -> Result<HttpResponse, ApiError> {
    let saved = crate::parameters::save(&state, &auth, &name, body).await?;
    Ok(HttpResponse::Created().json(SavedValue {
        parameter: saved.parameter,
        effective_from: saved.effective_from,
        value: saved.value,
        basis: saved.basis,
        entered_at: saved.entered_at,
    }))
}
