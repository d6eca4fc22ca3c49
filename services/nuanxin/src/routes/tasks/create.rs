use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::input::TaskInput;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::tasks::service_tasks;
use crate::tasks::views::TaskView;

/// `{"series_id", "tasks"}`: the tasks created, one series (one task, or one per week of a rule).
#[derive(serde::Serialize)]
struct Series {
    series_id: Option<uuid::Uuid>,
    tasks: Vec<TaskView>,
}

/// Creates a task for a household of the caller's area: one task, or one per week of a weekly rule.
pub async fn create_tasks(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(input): Body<TaskInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::Create)?;
    let tasks = service_tasks::create(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(Series {
        series_id: tasks.first().map(|t| t.series_id),
        tasks,
    }))
}
