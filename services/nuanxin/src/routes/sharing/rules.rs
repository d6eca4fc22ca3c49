use actix_web::HttpResponse;
use nuanxin_access::{Action, Resource};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Items;
use crate::sharing::requests::Viewer;
use crate::sharing::rule_views;

/// The rules the caller may request under (the steward: every department's rules).
pub async fn list_rules(auth: Authorized) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::List)?;
    let unit = match crate::sharing::viewer(&auth)? {
        Viewer::Steward => None,
        Viewer::Unit(_) => Some(auth.unit_code()),
    };
    Ok(HttpResponse::Ok().json(Items {
        items: rule_views(&auth.district, unit),
    }))
}
