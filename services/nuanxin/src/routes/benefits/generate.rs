use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use nuanxin_access::{Action, Resource};
use serde::Deserialize;
use tracing_actix_web::RequestId;

use crate::auth::Caller;
use crate::benefits::cycle;
use crate::error::ApiError;
use crate::routes::{district_of, Body};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    program: String,
    /// `YYYY`, `YYYY-MM`, an event date `YYYY-MM-DD`, or `once`, per the program's period.
    period: String,
    /// The evaluation date; by default the first day of the period on which the policy is in force.
    as_of: Option<NaiveDate>,
}

/// Generates a cycle (免申即享): proposes every entitlement of the program on the register; running it
/// again adds only what is missing.
pub async fn generate_cycle(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    Body(body): Body<GenerateRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::BenefitCycle, Action::Create)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let report = cycle::generate(
        super::access(&state),
        &district,
        &actor,
        &body.program,
        &body.period,
        body.as_of,
    )
    .await?;
    Ok(if report.created {
        HttpResponse::Created().json(report)
    } else {
        HttpResponse::Ok().json(report)
    })
}
