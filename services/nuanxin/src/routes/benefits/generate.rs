use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::cycle;
use crate::error::ApiError;
use crate::routes::Body;
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
    auth: Authorized,
    Body(body): Body<GenerateRequest>,
) -> Result<HttpResponse, ApiError> {
    let report = cycle::generate_for(
        state.into_inner(),
        &auth,
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
