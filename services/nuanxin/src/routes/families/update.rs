use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::family::FamilyInput;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::family_view;
use crate::registry::{counts, Registry};
use crate::routes::{district_of, Body};
use crate::state::AppState;

/// Replaces a family's data. `If-Match: "<version>"` guards against overwriting someone else's change.
pub async fn update_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    req: HttpRequest,
    id: web::Path<Uuid>,
    Body(input): Body<FamilyInput>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Update)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let expected = match req.headers().get("If-Match").and_then(|v| v.to_str().ok()) {
        None => None,
        Some(v) => Some(v.trim().trim_matches('"').parse::<i32>().map_err(|_| {
            ApiError::bad_request("invalid_header", "If-Match", "If-Match 应为版本号")
        })?),
    };
    let id = id.into_inner();
    let scope = caller.family_scope();
    let registry = Registry::new(&district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    registry
        .replace(&mut tx, scope, &actor, id, input, expected)
        .await?;
    let (record, family) = registry.load(&mut tx, scope, id).await?;
    tx.commit().await?;
    state.near_families.forget(district.id, id);
    counts::register_changed(&state.store, district.id).await;
    Ok(HttpResponse::Ok().json(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        caller.reveal(&state),
    )))
}
