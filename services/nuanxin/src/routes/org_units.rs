//! `/api/v1/org-units`: the caller's district structure (streets, communities, bureaus).

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::org::OrgUnitInfo;
use serde::Serialize;

use crate::auth::Authorized;
use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/org-units", web::get().to(list_org_units));
}

/// `GET /api/v1/org-units`: the district and its units.
#[derive(Serialize)]
struct DistrictUnits<'a> {
    tenant: &'a str,
    name: &'a str,
    items: &'a [OrgUnitInfo],
}

async fn list_org_units(auth: Authorized) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::OrgUnit, Action::Read)?;
    let district = &auth.district;
    Ok(HttpResponse::Ok().json(DistrictUnits {
        tenant: &district.slug,
        name: &district.name,
        items: district.orgs.units(),
    }))
}
