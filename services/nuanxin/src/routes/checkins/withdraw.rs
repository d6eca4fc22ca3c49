use actix_web::{web, HttpResponse};
use chrono::Utc;
use nuanxin_access::{Action, Resource};
use nuanxin_ids::PairingId;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::checkins::WithdrawInput;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

/// `{"id", "status": "ended", "ended_at"}`.
#[derive(serde::Serialize)]
struct Ended {
    id: PairingId,
    status: &'static str,
    ended_at: chrono::DateTime<Utc>,
}

/// Ends a pairing because one side withdrew consent: no check-in is expected and no alert raised after.
pub async fn withdraw_pairing(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<PairingId>,
    Body(body): Body<WithdrawInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Pairing, Action::Update)?;
    let id = id.into_inner();
    let ended_at =
        crate::checkins::withdraw(&state, Caller::of(&auth), id, body, Utc::now()).await?;
    Ok(HttpResponse::Ok().json(Ended {
        id,
        status: "ended",
        ended_at,
    }))
}
