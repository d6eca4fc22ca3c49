use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::checkins::PairingInput;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::error::ApiError;
use crate::routes::{Body, Created};
use crate::state::AppState;

/// Pairs an eligible elder with a helper; both consents are required (422 naming the missing one).
pub async fn create_pairing(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<PairingInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Pairing, Action::Create)?;
    let id = crate::checkins::create_pairing(&state, Caller::of(&auth), body).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}
