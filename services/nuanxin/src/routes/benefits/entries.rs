use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::benefit::{BenefitCycle, BenefitEntry, EntryFilter};
use nuanxin_db::pool::TenantTx;
use nuanxin_domain::benefit::EntryStatus;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::benefits::ledger::{entry_view, EntryView};
use crate::error::ApiError;
use crate::routes::extract::status_list_param;
use crate::routes::page::{Page, Paging};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntriesQuery {
    /// One status, or several separated by commas.
    pub status: Option<String>,
    /// A street's code.
    pub street: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A page of a cycle's entries in the caller's scope (a street sees only its own families).
pub async fn list_entries(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    query: web::Query<EntriesQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(entry_page(&state, &auth, id.into_inner(), &query).await?))
}

/// A page of a cycle's entries in the caller's scope.
pub async fn entry_page(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    query: &EntriesQuery,
) -> Result<Page<EntryView>, ApiError> {
    auth.require(Resource::BenefitCycle, Action::Read)?;
    let district = &auth.district;
    let paging = Paging::new(query.page, query.per_page, 100, 1000)?;
    let status = status_list_param::<EntryStatus>(query.status.as_deref())?;
    let street_id = match &query.street {
        Some(code) => Some(district.orgs.by_code(code).map(|u| u.id).ok_or_else(|| {
            ApiError::bad_request("unknown_street", "street", format!("未知街道“{code}”"))
        })?),
        None => None,
    };
    let filter = EntryFilter {
        status,
        street_id,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let cycle = BenefitCycle::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该发放周期"))?;
    let (rows, total) = BenefitEntry::list(&mut tx, auth.scope, cycle.id, &filter).await?;
    tx.commit().await?;
    let items: Vec<_> = rows.into_iter().map(|e| entry_view(district, e)).collect();
    Ok(paging.page(items, total))
}
