use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::family::{FamilyChange, FamilyRecord};
use nuanxin_db::pool::TenantTx;
use serde_json::json;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::AppState;

/// Every version of a family: who changed what, when.
pub async fn family_history(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let district = &auth.district;
    let changes = family_changes(&state, &auth, id).await?;
    let items: Vec<_> = changes
        .into_iter()
        .map(|c| {
            json!({
                "version": c.version,
                "changed_at": district.local(c.changed_at),
                "actor": {"id": c.actor_id, "name": c.actor_name},
                "action": c.action,
                "changes": c.changes,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"family_id": id, "items": items})))
}

/// Every change of a family in the caller's scope, oldest first.
pub async fn family_changes(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<Vec<FamilyChange>, ApiError> {
    auth.require(Resource::FamilyHistory, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    FamilyRecord::find(&mut tx, auth.scope, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该家庭"))?;
    let changes = FamilyChange::of_family(&mut tx, id).await?;
    tx.commit().await?;
    Ok(changes)
}
