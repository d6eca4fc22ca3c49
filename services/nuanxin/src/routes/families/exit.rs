use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::{Exit, ExitReason};
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::{counts, Registry};
use crate::routes::{district_of, Body};
use crate::state::AppState;

/// Takes a family off the register (退出) with a reason.
pub async fn exit_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<Uuid>,
    Body(body): Body<Exit>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Exit)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    if body.reason == ExitReason::Other && body.note.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err(ApiError::bad_request(
            "required",
            "note",
            "原因为“其他”时须说明",
        ));
    }
    let id = id.into_inner();
    let registry = Registry::new(&district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let version = registry
        .exit(&mut tx, caller.family_scope(), &actor, id, body)
        .await?;
    tx.commit().await?;
    state.near_families.forget(district.id, id);
    counts::register_changed(&state.store, district.id).await;
    Ok(HttpResponse::Ok().json(json!({"status": "exited", "version": version})))
}
