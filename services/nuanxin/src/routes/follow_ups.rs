//! `/api/v1/follow-ups`: the items the newly-eligible job creates for streets (a family's entitlements
//! changed); a street sees and closes its own.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::follow_up::FollowUp;
use nuanxin_db::pool::TenantTx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::page::{Page, Paging};
use super::Body;
use crate::audit;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::{AppState, District};

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

/// A follow-up as the API and the console show it.
#[derive(Serialize)]
pub struct FollowUpView {
    pub id: Uuid,
    pub family_id: Uuid,
    pub street: String,
    pub change: String,
    pub program: String,
    pub person: String,
    pub detail: serde_json::Value,
    pub created_on: chrono::NaiveDate,
    pub status: String,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
    pub done_note: Option<String>,
}

fn view(district: &District, f: FollowUp) -> FollowUpView {
    FollowUpView {
        street: district.orgs.name_of(f.street_id).to_owned(),
        id: f.id,
        family_id: f.family_id,
        change: f.change,
        program: f.program,
        person: f.person,
        detail: f.detail,
        created_on: f.created_on,
        status: f.status,
        done_at: f.done_at,
        done_note: f.done_note,
    }
}

async fn list_follow_ups(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = Paging::new(query.page, query.per_page, 100, 1000)?;
    let page = follow_up_page(&state, &auth, query.status.as_deref(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A page of the follow-ups in the caller's scope: `open` (default), `done` or `all`.
pub async fn follow_up_page(
    state: &AppState,
    auth: &Authorized,
    status: Option<&str>,
    paging: Paging,
) -> Result<Page<FollowUpView>, ApiError> {
    auth.require(Resource::Entitlement, Action::Read)?;
    let district = &auth.district;
    let status = match status.unwrap_or("open") {
        "all" => None,
        s @ ("open" | "done") => Some(s),
        other => {
            return Err(ApiError::bad_request(
                "invalid_status",
                "status",
                format!("状态应为open、done或all，而不是“{other}”"),
            ))
        }
    };
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let (rows, total) =
        FollowUp::list(&mut tx, auth.scope, status, paging.limit(), paging.offset()).await?;
    tx.commit().await?;
    let items: Vec<_> = rows.into_iter().map(|f| view(district, f)).collect();
    Ok(paging.page(items, total))
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
    auth.require(Resource::Family, Action::Update)?;
    let (district, actor) = (&auth.district, &auth.actor);
    let id = id.into_inner();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let item = FollowUp::find(&mut tx, auth.scope, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该跟进事项"))?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if !FollowUp::mark_done(&mut tx, id, &actor.actor, note).await? {
        return Err(ApiError::Conflict {
            code: "already_done",
            message: "该跟进事项已办结".into(),
        });
    }
    audit::record(
        &tx,
        district.id,
        actor,
        "follow_up.done",
        "follow_up",
        &id.to_string(),
        json!({"family_id": item.family_id, "program": item.program, "change": item.change}),
    )
    .await?;
    let item = FollowUp::find(&mut tx, auth.scope, id)
        .await?
        .ok_or(ApiError::NotFound("没有找到该跟进事项"))?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(view(district, item)))
}
