use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::forecast;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// Next year when absent.
    year: Option<i32>,
}

/// A year's cost by program and payer, from the policy over the register (aggregates only).
pub async fn year_forecast(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    let report = forecast::forecast_for(state.into_inner(), &auth, query.year).await?;
    Ok(HttpResponse::Ok().json(report))
}
