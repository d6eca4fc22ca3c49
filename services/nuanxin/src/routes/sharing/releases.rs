use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::DataReleaseId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Paging;
use crate::sharing::records::{self, DEFAULT_LIMIT, MAX_LIMIT};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The releases the caller sees (the steward: every department's).
pub async fn list_releases(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::List)?;
    let viewer = crate::sharing::viewer(&auth)?;
    let paging = Paging::new(query.page, query.per_page, 50, 200)?;
    let items = records::list(
        &state,
        &auth.district,
        viewer,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(paging.window(items)))
}

/// One release's description (not its records).
pub async fn get_release(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataReleaseId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::List)?;
    let viewer = crate::sharing::viewer(&auth)?;
    Ok(HttpResponse::Ok()
        .json(records::get(&state, &auth.district, viewer, id.into_inner()).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// The `next` of the previous page; from the start when absent.
    after: Option<i32>,
    limit: Option<i64>,
}

/// A page of the release's records, for the department it was released to.
pub async fn release_records(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataReleaseId>,
    query: web::Query<RecordsQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRelease, Action::Read)?;
    let unit = crate::sharing::own_unit(&auth)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "out_of_range",
            "limit",
            format!("每页条数应在1到{MAX_LIMIT}之间"),
        ));
    }
    let after = query.after.unwrap_or(0).max(0);
    let page = records::page(
        &state,
        &auth.district,
        &auth.actor,
        unit,
        id.into_inner(),
        after,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateQuery {
    by: String,
}

/// Counts of the release's families by one dimension, small cells suppressed.
pub async fn release_aggregate(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataReleaseId>,
    query: web::Query<AggregateQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRelease, Action::Read)?;
    let unit = crate::sharing::own_unit(&auth)?;
    let view = crate::sharing::aggregate::by_dimension(
        &state,
        &auth.district,
        &auth.actor,
        unit,
        id.into_inner(),
        &query.by,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The release as xlsx with its watermark line.
pub async fn export_release(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataReleaseId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRelease, Action::Read)?;
    let unit = crate::sharing::own_unit(&auth)?;
    let id = id.into_inner();
    let bytes = records::export(&state, &auth.district, &auth.actor, unit, id).await?;
    Ok(crate::routes::xlsx_download(
        bytes,
        &format!("release-{id}.xlsx"),
    ))
}

/// The steward revokes a release: every later read is 410.
pub async fn revoke_release(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataReleaseId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRelease, Action::Revoke)?;
    let view = records::revoke(&state, &auth.district, &auth.actor, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}
