use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::checkins::HelperInput;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::error::ApiError;
use crate::routes::{Body, Created};
use crate::state::AppState;

/// Registers a neighbour helper (street or community staff, in their own street or community).
pub async fn create_helper(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<HelperInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::CheckinHelper, Action::Create)?;
    let id = crate::checkins::create_helper(&state, Caller::of(&auth), body).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}
