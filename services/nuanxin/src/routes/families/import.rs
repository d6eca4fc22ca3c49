use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::Scope;
use nuanxin_db::pool::TenantTx;
use serde_json::json;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::{counts, Registry};
use crate::state::AppState;

/// Imports a spreadsheet (xlsx or CSV as the raw body): all rows or none.
pub async fn import_families(
    state: web::Data<AppState>,
    auth: Authorized,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::FamilyImport, Action::Create)?;
    // Importing is for the district office (whole district) and streets; a street's file may hold only its own.
    let scope = auth.scope;
    if !matches!(scope, Scope::District | Scope::Street(_)) {
        return Err(ApiError::Forbidden);
    }
    let (district, actor) = (&auth.district, &auth.actor);
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_file",
            "file",
            "请上传登记表（xlsx 或 CSV）",
        ));
    }
    let registry = Registry::new(district, &state.keys);
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let imported = registry.import(&mut tx, actor, &body, scope).await?;
    tx.commit().await?;
    counts::register_changed(&state.store, district.id).await;
    tracing::info!(imported, "families imported");
    Ok(HttpResponse::Ok().json(json!({"imported": imported})))
}
