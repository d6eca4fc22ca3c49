use actix_web::{web, HttpResponse};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::reads::register_workbook;
use crate::state::AppState;

/// The caller's register (active families) as an xlsx workbook in the import layout.
pub async fn export_families(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    let bytes = register_workbook(&state, &auth).await?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("{}-families.xlsx", auth.district.slug),
    ))
}
