use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::FamilyScope;
use nuanxin_db::pool::TenantTx;
use serde_json::json;
use tracing_actix_web::RequestId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::registry::{counts, Registry};
use crate::routes::district_of;
use crate::state::AppState;

/// Imports a spreadsheet (xlsx or CSV as the raw body): all rows or none.
pub async fn import_families(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::FamilyImport, Action::Create)?;
    // Importing is for the district office (whole district) and streets; a street's file may hold only its own.
    let scope = caller.family_scope();
    if !matches!(scope, FamilyScope::District | FamilyScope::Street(_)) {
        return Err(ApiError::Forbidden);
    }
    let (district, actor) = district_of(&state, &caller, &request_id)?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_file",
            "file",
            "请上传登记表（xlsx 或 CSV）",
        ));
    }
    let registry = Registry::new(&district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let imported = registry.import(&mut tx, &actor, &body, scope).await?;
    tx.commit().await?;
    counts::register_changed(&state.store, district.id).await;
    tracing::info!(imported, "families imported");
    Ok(HttpResponse::Ok().json(json!({"imported": imported})))
}
