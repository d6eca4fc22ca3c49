use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::TaskId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tasks::service_tasks;

/// One task the caller reaches, with the offers they may see (the read is audited).
pub async fn get_task(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<TaskId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::Read)?;
    Ok(HttpResponse::Ok().json(service_tasks::get(&state, &auth, id.into_inner()).await?))
}
