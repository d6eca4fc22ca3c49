use actix_web::{web, HttpResponse};
use nuanxin_ids::FamilyId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::reads::read_family;
use crate::state::AppState;

/// One family in full: the registry's hot path (`registry::reads`).
pub async fn get_family(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(read_family(&state, &auth, id.into_inner()).await?))
}
