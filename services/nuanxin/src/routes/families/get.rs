use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::{family_view, Reveal};
use crate::registry::Registry;
use crate::routes::district_of;
use crate::state::AppState;

/// One family in full. The hot path of the registry: the family comes from this node's recent copies or
/// from one statement (`registry::near`), and the read is handed to the read log before the answer leaves
/// (`audit::reads`).
pub async fn get_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Read)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let id = id.into_inner();
    let reveal = caller.reveal(&state);
    let record = state
        .near_families
        .read(&state.pool, district.id, caller.family_scope(), id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该家庭"))?;
    let family = Registry::new(&district, &state.keys)
        .codec
        .decode(&record)
        .map_err(ApiError::internal)?;
    state.read_log.record(audit::event(
        district.id,
        &actor,
        "family.read",
        "family",
        &id.to_string(),
        json!({"pii": reveal == Reveal::Full}),
    ))?;
    Ok(HttpResponse::Ok().json(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        reveal,
    )))
}
