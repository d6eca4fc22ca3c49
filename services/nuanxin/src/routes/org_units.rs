//! `/api/v1/org-units`: the caller's district structure (streets, communities, bureaus).

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde_json::json;
use tracing_actix_web::RequestId;

use super::district_of;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/org-units", web::get().to(list_org_units));
}

async fn list_org_units(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state, Resource::OrgUnit, Action::Read)?;
    let (district, _) = district_of(&state, &caller, &request_id)?;
    Ok(HttpResponse::Ok().json(
        json!({"tenant": district.slug, "name": district.name, "items": district.orgs.units()}),
    ))
}
