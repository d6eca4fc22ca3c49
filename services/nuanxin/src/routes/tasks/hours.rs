//! 志愿服务时长: hours per volunteer and organization, as JSON or xlsx.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use nuanxin_access::{Action, Resource};
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

/// Refuses a caller who may not read hours, and a period that is reversed or longer than a year.
pub fn checked(auth: &Authorized, from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    auth.require(Resource::VolunteerRecord, Action::Read)?;
    if to < from {
        return Err(ApiError::bad_request(
            "invalid_range",
            "to",
            "结束日期不能早于开始日期",
        ));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::bad_request("too_long", "to", "统计期间最长一年"));
    }
    Ok(())
}

pub async fn volunteer_hours(
    state: web::Data<AppState>,
    auth: Authorized,
    period: web::Query<Period>,
) -> Result<HttpResponse, ApiError> {
    checked(&auth, period.from, period.to)?;
    let report = hours::report(&state, &auth, period.from, period.to).await?;
    Ok(HttpResponse::Ok().json(report))
}

pub async fn export_volunteer_hours(
    state: web::Data<AppState>,
    auth: Authorized,
    period: web::Query<Period>,
) -> Result<HttpResponse, ApiError> {
    checked(&auth, period.from, period.to)?;
    let report = hours::report(&state, &auth, period.from, period.to).await?;
    let bytes = hours::workbook(&report)?;
    Ok(xlsx_download(
        bytes,
        &format!("volunteer-hours-{}-{}.xlsx", period.from, period.to),
    ))
}
