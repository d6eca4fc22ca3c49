//! `/api/v1/org-units`: the caller's district structure (streets, communities, bureaus).

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde_json::json;

use crate::auth::Authorized;
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/org-units", web::get().to(list_org_units));
}

async fn list_org_units(auth: Authorized) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::OrgUnit, Action::Read)?;
    let district = &auth.district;
    Ok(HttpResponse::Ok().json(
        json!({"tenant": district.slug, "name": district.name, "items": district.orgs.units()}),
    ))
}
