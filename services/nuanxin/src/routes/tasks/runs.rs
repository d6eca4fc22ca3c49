//! Matching runs on demand: a street's run matches its own street's open tasks, the district's the whole
//! district's.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::tasks::TaskReach;
use nuanxin_ids::MatchingRunId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tasks::{matching, staff_reach};

pub async fn start_run(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::MatchingRun, Action::Run)?;
    let street = match staff_reach(&state, &auth).await? {
        TaskReach::Street(s) => Some(s),
        _ => None,
    };
    let run = matching::run(&state.pool, &auth.district, street, &auth.actor.actor).await?;
    Ok(HttpResponse::Created().json(run))
}

pub async fn get_run(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<MatchingRunId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::MatchingRun, Action::Read)?;
    let reach = staff_reach(&state, &auth).await?;
    let run = matching::get(&state, &auth.district, reach, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(run))
}
