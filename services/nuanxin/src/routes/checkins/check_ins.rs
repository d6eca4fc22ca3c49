use actix_web::{web, HttpResponse};
use chrono::Utc;
use nuanxin_access::{Action, Resource};
use nuanxin_ids::PairingId;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::checkins::CheckInInput;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

/// Logs the day's check-in: by the pairing's helper, or by the community worker on their behalf.
pub async fn log_check_in(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<PairingId>,
    Body(body): Body<CheckInInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::CheckIn, Action::Create)?;
    let logged =
        crate::checkins::check_in(&state, Caller::of(&auth), id.into_inner(), body, Utc::now())
            .await?;
    Ok(HttpResponse::Created().json(logged))
}
