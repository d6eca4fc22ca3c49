use actix_web::{web, HttpResponse};
use nuanxin_ids::CycleId;

use crate::auth::Authorized;
use crate::benefits::payments;
use crate::error::ApiError;
use crate::state::AppState;

/// A cycle's payment list (approved and paid entries) as an xlsx workbook. ID numbers and names are full
/// only for callers who may read personal data.
pub async fn export_payment_list(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CycleId>,
) -> Result<HttpResponse, ApiError> {
    let list = payments::payment_list(&state, &auth, id.into_inner()).await?;
    Ok(crate::routes::xlsx_download(list.bytes, &list.file_name))
}
