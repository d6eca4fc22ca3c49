use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::PairingId;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::checkins::EmergencyInput;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

/// `201 {"id", "told"}`: the emergency's id and how many people were told.
#[derive(serde::Serialize)]
struct Reported {
    id: Uuid,
    told: usize,
}

/// Records an emergency; the community worker, the street and the family's contact persons are told.
pub async fn record_emergency(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<PairingId>,
    Body(body): Body<EmergencyInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::CheckIn, Action::Create)?;
    let (id, told) =
        crate::checkins::emergency(&state, Caller::of(&auth), id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(Reported { id, told }))
}
