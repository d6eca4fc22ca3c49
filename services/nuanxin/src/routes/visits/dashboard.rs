use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::xlsx_download;
use crate::state::AppState;
use crate::visits::dashboard;

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
    let d = dashboard::read_dashboard(&state, &auth, query.year).await?;
    Ok(HttpResponse::Ok().json(d))
}

/// The dashboard as an xlsx workbook.
pub async fn export_dashboard(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    let d = dashboard::read_dashboard(&state, &auth, query.year).await?;
    let bytes = dashboard::workbook(&d).map_err(ApiError::internal)?;
    Ok(xlsx_download(bytes, &format!("dashboard-{}.xlsx", d.year)))
}
