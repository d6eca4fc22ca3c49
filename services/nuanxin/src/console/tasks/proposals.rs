//! The staff's tasks page lists the open proposals from entitlements; here they are dismissed with a
//! reason (or refused beside the proposal), and the caller's area is evaluated again on demand. Taking a
//! proposal up is the new-task form with the proposal's household and service filled in.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::tasks::TaskReach;
use uuid::Uuid;

use super::super::session::{Console, Posted};
use super::super::views::{see_other, PageError};
use super::{staff_page, with_reason, TasksQuery};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tasks::proposals;
use crate::tasks::staff_reach;

/// `POST /console/task-proposals/{id}/dismiss`: `reason`.
pub async fn dismiss_proposal(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<Uuid>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::ServiceTask, Action::Create)?;
    let id = id.into_inner();
    let shared: &AppState = &state;
    let refused = with_reason(&form, "不采纳的原因", |reason| async move {
        proposals::dismiss(shared, auth, id, &reason)
            .await
            .map(drop)
            .map_err(ApiError::from)
    })
    .await?;
    let Some((status, error)) = refused else {
        return Ok(see_other("/console/tasks?done=dismissed#proposals"));
    };
    let query = TasksQuery {
        status: String::new(),
        page: None,
        done: String::new(),
    };
    staff_page(
        &state,
        &console,
        &query,
        String::new(),
        status,
        Some((id, error)),
    )
    .await
}

/// `POST /console/task-proposals/runs`: evaluates the caller's area (district or street) now.
pub async fn run_proposals(
    state: web::Data<AppState>,
    console: Console,
    _form: Posted,
) -> Result<HttpResponse, PageError> {
    let auth = &console.auth;
    auth.require(Resource::MatchingRun, Action::Run)?;
    let street = match staff_reach(&state, auth).await? {
        TaskReach::Street(s) => Some(s),
        _ => None,
    };
    let today = auth.district.today();
    proposals::run(
        state.clone().into_inner(),
        &auth.district,
        street,
        today,
        &auth.actor,
    )
    .await
    .map_err(ApiError::from)?;
    Ok(see_other("/console/tasks?done=proposed#proposals"))
}
