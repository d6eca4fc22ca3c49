//! `/api/v1/platform`: what the platform operator manages. Districts only, never family data.

use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::TenantId;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::page::Items;
use crate::platform::{self, NewDistrict};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/platform/tenants", web::get().to(list_tenants))
        .route("/platform/tenants", web::post().to(onboard_tenant))
        .route(
            "/platform/tenants/configured",
            web::get().to(configured_tenants),
        );
}

async fn list_tenants(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::Tenant, Action::List)?;
    let items = state
        .districts
        .all()
        .iter()
        .map(|d| TenantItem {
            id: d.id,
            slug: d.slug.clone(),
            name: d.name.clone(),
            time_zone: d.time_zone.name(),
            policy_configured: d.policy.is_some(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// A district the platform serves.
#[derive(Serialize)]
struct TenantItem {
    id: TenantId,
    slug: String,
    name: String,
    time_zone: &'static str,
    policy_configured: bool,
}

/// The district folders not onboarded yet, each with what would stop its onboarding.
async fn configured_tenants(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let items = platform::configured(&state, &caller)?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnboardBody {
    slug: String,
    username: String,
    display_name: String,
    #[serde(default)]
    email: Option<String>,
}

/// `POST /platform/tenants`: onboards a configured district with its first administrator → 201 with the
/// administrator's initial password, shown this once.
async fn onboard_tenant(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: web::Json<OnboardBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let onboarded = platform::onboard(
        &state,
        &caller,
        crate::telemetry::request_id(&req),
        NewDistrict {
            slug: body.slug,
            username: body.username,
            display_name: body.display_name,
            email: body.email,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(onboarded))
}
