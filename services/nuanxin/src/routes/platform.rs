//! `/api/v1/platform`: what the platform operator manages. Districts only, never family data.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde_json::json;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/platform/tenants", web::get().to(list_tenants));
}

async fn list_tenants(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Tenant, Action::List)?;
    let items: Vec<_> = state
        .districts
        .all()
        .iter()
        .map(|d| {
            json!({"id": d.id, "slug": d.slug, "name": d.name, "time_zone": d.time_zone.name(),
                        "policy_configured": d.policy.is_some()})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
