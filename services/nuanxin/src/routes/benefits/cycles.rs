use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::{BenefitCycle, BenefitEntry};
use nuanxin_db::pool::TenantTx;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::benefits::ledger::{cycle_view, CycleView};
use crate::error::ApiError;
use crate::routes::page::Items;
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

/// The district's cycles (of one program, or all), each counted within the caller's scope.
pub async fn cycles(
    state: &AppState,
    auth: &Authorized,
    program: Option<&str>,
) -> Result<Vec<CycleView>, ApiError> {
    auth.require(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycles = BenefitCycle::list(&mut tx, program).await?;
    let mut items = Vec::with_capacity(cycles.len());
    for cycle in cycles {
        let counts = BenefitEntry::counts(&mut tx, auth.scope, cycle.id).await?;
        items.push(cycle_view(district, cycle, counts));
    }
    tx.commit().await?;
    Ok(items)
}

/// One cycle with its entries counted by status (within the caller's scope).
pub async fn get_cycle(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(cycle(&state, &auth, id.into_inner()).await?))
}

/// One cycle, counted within the caller's scope.
pub async fn cycle(state: &AppState, auth: &Authorized, id: Uuid) -> Result<CycleView, ApiError> {
    auth.require(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该发放周期"))?;
    let counts = BenefitEntry::counts(&mut tx, auth.scope, cycle.id).await?;
    tx.commit().await?;
    Ok(cycle_view(district, cycle, counts))
}
