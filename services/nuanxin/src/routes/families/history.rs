use actix_web::{web, HttpResponse};
use nuanxin_ids::{FamilyId, UserId};
use serde::Serialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::reads::family_changes;
use crate::state::AppState;

/// Every version of a family: who changed what, when.
pub async fn family_history(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let district = &auth.district;
    let changes = family_changes(&state, &auth, id).await?;
    let items = changes
        .into_iter()
        .map(|c| HistoryItem {
            version: c.version,
            changed_at: district.local(c.changed_at),
            actor: ActorRef {
                id: c.actor_id,
                name: c.actor_name,
            },
            action: c.action,
            changes: c.changes,
        })
        .collect();
    Ok(HttpResponse::Ok().json(History {
        family_id: id,
        items,
    }))
}

/// Every version of one family, oldest first.
#[derive(Serialize)]
pub struct History {
    pub family_id: FamilyId,
    pub items: Vec<HistoryItem>,
}

/// One version: who made it, when (the district's local time), and what changed (identifiers masked).
#[derive(Serialize)]
pub struct HistoryItem {
    pub version: i32,
    pub changed_at: chrono::DateTime<chrono_tz::Tz>,
    pub actor: ActorRef,
    /// `create`, `update`, `exit` or `import`.
    pub action: String,
    /// `[{"field", "from", "to"}]`.
    pub changes: serde_json::Value,
}

#[derive(Serialize)]
pub struct ActorRef {
    pub id: UserId,
    pub name: String,
}
