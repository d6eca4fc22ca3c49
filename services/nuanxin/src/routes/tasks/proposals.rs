//! `/api/v1/task-proposals`: tasks proposed from the families' entitlements, for the register's staff to
//! take up (by creating the task with its `proposal_id`) or dismiss; runs on demand beside the daily job.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::tasks::TaskReach;
use nuanxin_domain::tasks::input::ReasonInput;
use nuanxin_domain::tasks::proposals::ProposalStatus;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Paging;
use crate::routes::extract::status_param;
use crate::routes::Body;
use crate::state::AppState;
use crate::tasks::proposals;
use crate::tasks::staff_reach;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open`, `accepted`, `dismissed`, `lapsed`; all when left out.
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The proposals of the caller's area, oldest first.
pub async fn list_proposals(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::Create)?;
    let paging = Paging::new(query.page, query.per_page, 50, 200)?;
    let status = status_param::<ProposalStatus>(query.status.as_deref())?;
    let (items, total) =
        proposals::list(&state, &auth, status, paging.limit(), paging.offset()).await?;
    Ok(HttpResponse::Ok().json(paging.page(items, total)))
}

/// Evaluates the caller's area now (the district's, or their street's) and records its proposals.
pub async fn run_proposals(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::MatchingRun, Action::Run)?;
    let street = match staff_reach(&state, &auth).await? {
        TaskReach::Street(s) => Some(s),
        _ => None,
    };
    let today = auth.district.today();
    let run = proposals::run(
        state.clone().into_inner(),
        &auth.district,
        street,
        today,
        &auth.actor,
    )
    .await?;
    Ok(HttpResponse::Created().json(run))
}

/// Dismisses an open proposal with a reason.
pub async fn dismiss_proposal(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    Body(body): Body<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::Create)?;
    let reason = body.validate().map_err(ApiError::Validation)?;
    let proposal = proposals::dismiss(&state, &auth, id.into_inner(), &reason).await?;
    Ok(HttpResponse::Ok().json(proposal))
}
