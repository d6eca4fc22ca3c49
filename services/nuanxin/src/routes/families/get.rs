use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde_json::json;
use uuid::Uuid;

use crate::audit;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::view::{family_view, FamilyView, Reveal};
use crate::registry::Registry;
use crate::state::AppState;

/// One family in full. The hot path of the registry: the family comes from this node's recent copies or
/// from one statement (`registry::near`), and the read is handed to the read log before the answer leaves
/// (`audit::reads`).
pub async fn get_family(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(read_family(&state, &auth, id.into_inner()).await?))
}

/// One family in the caller's scope, its read recorded (the API's answer and the console's family page).
pub async fn read_family(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<FamilyView, ApiError> {
    auth.require(Resource::Family, Action::Read)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let reveal = auth.reveal();
    let record = state
        .near_families
        .read(&state.pool, district.id, auth.scope, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该家庭"))?;
    let family = Registry::new(district, &state.keys)
        .codec
        .decode(&record)
        .map_err(ApiError::internal)?;
    let read = audit::event(
        district.id,
        actor,
        "family.read",
        "family",
        &id.to_string(),
        json!({"pii": reveal == Reveal::Full}),
    );
    state
        .read_log
        .record(read, crate::audit::reads::WAIT)
        .await?;
    Ok(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        reveal,
    ))
}
