use actix_web::{web, HttpResponse};
use nuanxin_domain::family::FamilyInput;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::writes::register_family;
use crate::routes::Body;
use crate::state::AppState;

/// Registers a family. Street staff register families of their own street only.
pub async fn create_family(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(input): Body<FamilyInput>,
) -> Result<HttpResponse, ApiError> {
    let view = register_family(&state, &auth, input).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/families/{}", view.id)))
        .json(view))
}
