use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

/// `POST /verifications`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub resident_id: String,
    pub program: String,
}

/// `{"entitled"}`: yes or no, nothing else.
#[derive(serde::Serialize)]
struct Answer {
    entitled: bool,
}

/// Yes or no: does the holder of this resident ID hold the program's entitlement now?
pub async fn verify(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<Question>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Verification, Action::Create)?;
    let entitled = crate::sharing::verify::verify(
        &state,
        &auth.district,
        &auth.actor,
        auth.unit_code(),
        &body.resident_id,
        &body.program,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Answer { entitled }))
}
