use actix_web::{web, HttpResponse};
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use crate::auth::Authorized;
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
    auth.require(Resource::Policy, Action::Read)?;
    let district = &auth.district;
    let year = query.year.unwrap_or(district.today().year() + 1);
    if !(1900..=2200).contains(&year) {
        return Err(ApiError::bad_request(
            "invalid_year",
            "year",
            format!("年份{year}无效"),
        ));
    }
    let report = crate::benefits::forecast::forecast(super::access(&state), district, year).await?;
    Ok(HttpResponse::Ok().json(report))
}
