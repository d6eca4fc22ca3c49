use actix_web::{web, HttpResponse};
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::xlsx_download;
use crate::state::AppState;
use crate::visits::dashboard::{self, Dashboard};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// The assessment year (campaigns and entitlements); this year by default.
    year: Option<i32>,
}

/// The care dashboard by street and community in the caller's scope.
pub async fn get_dashboard(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(read_dashboard(&state, &auth, query.year).await?))
}

/// The dashboard as an xlsx workbook.
pub async fn export_dashboard(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    let d = read_dashboard(&state, &auth, query.year).await?;
    let bytes = dashboard::workbook(&d).map_err(ApiError::internal)?;
    Ok(xlsx_download(bytes, &format!("dashboard-{}.xlsx", d.year)))
}

/// The dashboard of `year` (this year by default) as the caller sees it (API and console).
pub async fn read_dashboard(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<Dashboard, ApiError> {
    auth.require(Resource::Dashboard, Action::Read)?;
    let today = auth.district.today();
    let year = year.unwrap_or(today.year());
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "year",
            "年份应在2000到2100之间",
        ));
    }
    let mut work = auth.begin(state).await?;
    let d = dashboard::dashboard(
        &mut work,
        &state.store,
        &auth.district,
        auth.scope,
        year,
        today,
    )
    .await?;
    work.commit().await?;
    Ok(d)
}
