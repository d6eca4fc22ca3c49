//! `POST /api/v1/volunteers/import`: volunteers from an xlsx or CSV file (the raw body), all or none, as
//! `POST /api/v1/families/import` takes the register.

use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_access::{Action, Resource};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::writes::import_turn;
use crate::routes::families::import::{upload, Imported};
use crate::state::AppState;
use crate::tasks::import;

/// The caller is checked before the body is read; the file waits for this node's turn for imports.
pub async fn import_volunteers(
    state: web::Data<AppState>,
    auth: Authorized,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::VolunteerRecord, Action::Create)?;
    let _turn = import_turn(&state).await?;
    let body = upload(&req, payload).await?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_file",
            "file",
            "请上传志愿者表（xlsx 或 CSV）",
        ));
    }
    let imported = import::import_file(&state, &auth, body.to_vec()).await?;
    tracing::info!(imported, "volunteers imported");
    Ok(HttpResponse::Ok().json(Imported { imported }))
}
