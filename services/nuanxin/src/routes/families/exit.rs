use actix_web::{web, HttpResponse};
use nuanxin_domain::family::{Exit, FamilyStatus};
use nuanxin_ids::FamilyId;
use serde::Serialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::writes::take_off_register;
use crate::routes::Body;
use crate::state::AppState;

/// Takes a family off the register (退出) with a reason.
pub async fn exit_family(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    Body(body): Body<Exit>,
) -> Result<HttpResponse, ApiError> {
    let version = take_off_register(&state, &auth, id.into_inner(), body).await?;
    Ok(HttpResponse::Ok().json(Exited {
        status: FamilyStatus::Exited,
        version,
    }))
}

/// The family's status and version after its exit.
#[derive(Serialize)]
pub struct Exited {
    pub status: FamilyStatus,
    pub version: i32,
}
