use actix_web::{web, HttpResponse};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::search::{family_page, FamilySearch};
use crate::state::AppState;

/// A page of the caller's register matching the search (`?street=&community=&kind=&status=&age_min=
/// &age_max=&q=&page=&per_page=`).
pub async fn list_families(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<FamilySearch>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(family_page(&state, &auth, &query).await?))
}
