use actix_web::{web, HttpResponse};
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::forecast::ForecastReport;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// Next year when absent.
    year: Option<i32>,
}

/// A year's cost by program and payer, from the policy over the register (aggregates only).
pub async fn forecast(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ForecastQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(year_forecast(&state, &auth, query.year).await?))
}

/// The forecast of `year` (next year when absent) for the caller's district.
pub async fn year_forecast(
    state: &web::Data<AppState>,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<ForecastReport, ApiError> {
    auth.require(Resource::Policy, Action::Read)?;
    let district = &auth.district;
    let year = year.unwrap_or(district.today().year() + 1);
    if !(1900..=2200).contains(&year) {
        return Err(ApiError::bad_request(
            "invalid_year",
            "year",
            format!("年份{year}无效"),
        ));
    }
    Ok(crate::benefits::forecast::forecast(super::access(state), district, year).await?)
}
