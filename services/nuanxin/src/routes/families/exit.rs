use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::{Exit, ExitReason, FamilyStatus};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::Registry;
use crate::routes::Body;
use crate::state::AppState;
use crate::work::AfterCommit;

/// Takes a family off the register (退出) with a reason.
pub async fn exit_family(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
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

/// Takes a family in the caller's scope off the register; its new version (the API's exit and the
/// console's exit form).
pub async fn take_off_register(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    body: Exit,
) -> Result<i32, ApiError> {
    auth.require(Resource::Family, Action::Exit)?;
    if body.reason == ExitReason::Other && body.note.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err(ApiError::bad_request(
            "required",
            "note",
            "原因为“其他”时须说明",
        ));
    }
    let registry = Registry::new(&auth.district, &state.keys);
    let mut work = auth.begin(state).await?;
    let version = registry
        .exit(&mut work, auth.scope, &auth.actor, id, body)
        .await?;
    work.after_commit(AfterCommit::FamilyChanged(id));
    work.after_commit(AfterCommit::RegisterChanged);
    work.commit().await?;
    Ok(version)
}
