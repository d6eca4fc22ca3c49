use actix_web::{web, HttpResponse};
use nuanxin_ids::CycleId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::ledger::{cycle, cycles};
use crate::error::ApiError;
use crate::page::Items;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CyclesQuery {
    program: Option<String>,
}

/// The district's cycles, each with its entries counted by status (within the caller's scope).
pub async fn list_cycles(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<CyclesQuery>,
) -> Result<HttpResponse, ApiError> {
    let items = cycles(&state, &auth, query.program.as_deref()).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// One cycle with its entries counted by status (within the caller's scope).
pub async fn get_cycle(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CycleId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(cycle(&state, &auth, id.into_inner()).await?))
}
