use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use uuid::Uuid;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::page::Items;
use crate::sharing::access_log::AccessEntry;
use crate::state::AppState;

/// Every department that received or looked up the family's data.
pub async fn family_access_log(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let items = access_log(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// The family's access log for street and district staff (the API and the printable page).
pub async fn access_log(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<Vec<AccessEntry>, ApiError> {
    auth.require(Resource::FamilyAccessLog, Action::Read)?;
    Ok(crate::sharing::access_log::family_access_log(
        state,
        &auth.district,
        &auth.actor,
        auth.scope,
        id,
    )
    .await?)
}
