use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::PairingId;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::checkins::PauseInput;
use crate::error::ApiError;
use crate::routes::{Body, Created};
use crate::state::AppState;

/// Pauses a pairing's check-ins for dates (in hospital, with relatives) without ending it.
pub async fn pause_pairing(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<PairingId>,
    Body(body): Body<PauseInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Pairing, Action::Update)?;
    let pause = crate::checkins::pause(&state, Caller::of(&auth), id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(Created { id: pause }))
}
