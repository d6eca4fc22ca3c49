use actix_web::{web, HttpResponse};
use nuanxin_domain::benefit::EntryStatus;
use nuanxin_ids::CycleId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::benefits::ledger;
use crate::error::ApiError;
use crate::page::Paging;
use crate::routes::extract::status_list_param;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntriesQuery {
    /// One status, or several separated by commas.
    status: Option<String>,
    /// A street's code.
    street: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// A page of a cycle's entries in the caller's scope (a street sees only its own families).
pub async fn list_entries(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CycleId>,
    query: web::Query<EntriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::new(query.page, query.per_page, 100, 1000)?;
    let status = status_list_param::<EntryStatus>(query.status.as_deref())?;
    let street_id =
        match &query.street {
            Some(code) => Some(auth.district.orgs.by_code(code).map(|u| u.id).ok_or_else(
                || ApiError::bad_request("unknown_street", "street", format!("未知街道“{code}”")),
            )?),
            None => None,
        };
    let page = ledger::entries(&state, &auth, id.into_inner(), status, street_id, paging).await?;
    Ok(HttpResponse::Ok().json(page))
}
