//! `/api/v1/follow-ups`: the items the newly-eligible job and holiday visits open for streets; a street
//! sees and closes its own (`crate::follow_ups`).

use actix_web::{web, HttpResponse};
use nuanxin_domain::benefit::FollowUpStatus;
use serde::Deserialize;
use uuid::Uuid;

use super::extract::status_or_all_param;
use super::Body;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::follow_ups;
use crate::page::Paging;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/follow-ups", web::get().to(list_follow_ups))
        .route("/follow-ups/{id}/done", web::post().to(mark_done));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open` (default), `done` or `all`.
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn list_follow_ups(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::new(query.page, query.per_page, 100, 1000)?;
    let status = status_or_all_param(query.status.as_deref(), FollowUpStatus::Open)?;
    let page = follow_ups::page(&state, &auth, status, paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneBody {
    note: Option<String>,
}

async fn mark_done(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    Body(body): Body<DoneBody>,
) -> Result<HttpResponse, ApiError> {
    let item = follow_ups::mark_done(&state, &auth, id.into_inner(), body.note.as_deref()).await?;
    Ok(HttpResponse::Ok().json(item))
}
