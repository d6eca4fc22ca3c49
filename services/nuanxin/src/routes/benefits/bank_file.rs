use actix_web::{web, HttpResponse};
use nuanxin_ids::CycleId;

use crate::auth::Authorized;
use crate::benefits::payments;
use crate::error::ApiError;
use crate::state::AppState;

/// The bank's batch-payment file of a cycle's approved entries, for the disbursing unit (区财政局) only;
/// its total and the entries it cannot send yet also travel as headers.
pub async fn export_bank_file(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CycleId>,
) -> Result<HttpResponse, ApiError> {
    let export = payments::bank_export(&state, &auth, id.into_inner()).await?;
    Ok(crate::routes::xlsx_response(&export.workbook.file_name)
        .insert_header(("X-Total-Cny", export.total_cny.to_string()))
        .insert_header(("X-Missing-Entries", export.missing.to_string()))
        .body(export.workbook.bytes))
}
