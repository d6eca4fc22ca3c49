use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::input::ReasonInput;
use nuanxin_ids::TaskId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::tasks::cancel;

/// Cancels a task of the caller's area with a reason. Whoever may create a task may call it off.
pub async fn cancel_task(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<TaskId>,
    Body(body): Body<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::Create)?;
    let reason = body.validate().map_err(ApiError::Validation)?;
    let task = cancel::cancel(&state, &auth, id.into_inner(), &reason).await?;
    Ok(HttpResponse::Ok().json(task))
}
