//! `/api/v1/audit`: verify the district's hash-chained audit log.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit/verify", web::post().to(verify_audit_chain));
}

/// Seals what is pending, then walks the chain.
async fn verify_audit_chain(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::AuditLog, Action::Read)?;
    let district = &auth.district;
    state.read_log.flush().await;
    crate::audit::seal(&state.pool, district.id).await?;
    Ok(HttpResponse::Ok().json(crate::audit::verify(&state.pool, district.id).await?))
}
