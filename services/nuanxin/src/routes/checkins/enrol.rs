use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::checkins::EnrolInput;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

/// `{"enrolled": true}`.
#[derive(serde::Serialize)]
struct Enrolled {
    enrolled: bool,
}

/// Enrols a member for pairing with a reason (living alone, partial self-care): 201 when new, 200
/// when they were enrolled already.
pub async fn enrol_member(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<EnrolInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Pairing, Action::Create)?;
    let new = crate::checkins::enrol(&state, Caller::of(&auth), body).await?;
    let mut response = if new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(Enrolled { enrolled: true }))
}
