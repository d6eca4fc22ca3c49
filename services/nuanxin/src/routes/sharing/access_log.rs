use actix_web::{web, HttpResponse};
use nuanxin_ids::FamilyId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Items;
use crate::sharing::access_log::family_access_log as access_log;
use crate::state::AppState;

/// Every department that received or looked up the family's data.
pub async fn family_access_log(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, ApiError> {
    let items = access_log(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}
