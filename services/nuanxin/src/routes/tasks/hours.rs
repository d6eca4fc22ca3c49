//! 志愿服务时长: hours per volunteer and organization, as JSON or xlsx.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::xlsx_download;
use crate::state::AppState;
use crate::tasks::hours;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

pub async fn volunteer_hours(
    state: web::Data<AppState>,
    auth: Authorized,
    period: web::Query<Period>,
) -> Result<HttpResponse, ApiError> {
    let report = hours::report(&state, &auth, period.from, period.to).await?;
    Ok(HttpResponse::Ok().json(report))
}

pub async fn export_volunteer_hours(
    state: web::Data<AppState>,
    auth: Authorized,
    period: web::Query<Period>,
) -> Result<HttpResponse, ApiError> {
    let report = hours::report(&state, &auth, period.from, period.to).await?;
    let bytes = hours::workbook(&report)?;
    Ok(xlsx_download(
        bytes,
        &format!("volunteer-hours-{}-{}.xlsx", period.from, period.to),
    ))
}
