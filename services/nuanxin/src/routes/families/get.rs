use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::pool::TenantTx;
use serde_json::json;
use tracing_actix_web::RequestId;
use uuid::Uuid;

use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::view::family_view;
use crate::registry::Registry;
use crate::routes::district_of;
use crate::state::AppState;

/// One family in full; the read is audited.
pub async fn get_family(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Family, Action::Read)?;
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    let id = id.into_inner();
    let reveal = super::reveal_for(&state, &caller);
    let registry = Registry::new(&district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (record, family) = registry.load(&mut tx, caller.family_scope(), id).await?;
    let detail = json!({"pii": reveal == crate::registry::view::Reveal::Full});
    audit::record(
        &mut tx,
        district.id,
        &actor,
        "family.read",
        "family",
        &id.to_string(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(family_view(
        &record,
        &family,
        &district.orgs,
        district.today(),
        reveal,
    )))
}
