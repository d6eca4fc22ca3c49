use actix_web::{web, HttpResponse};
use nuanxin_domain::visits::ActivityInput;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::activities::{self, ProjectInput};

/// Records an activity (`{"home", "street"?, "project_id"?, "held_on", "place", "kind",
/// "spending_cny", "participants": [family ids]}`): 201; over the year's budget 422.
pub async fn create_activity(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<ActivityInput>,
) -> Result<HttpResponse, ApiError> {
    let view = activities::save_activity(&state, &auth, body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Creates a signature project (`{"street"?, "year", "name", "description"?}`): 201; a second for the
/// street and year 409.
pub async fn create_project(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    let view = activities::save_project(&state, &auth, body).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    year: Option<i32>,
}

/// A year's activities and signature projects with the budget.
pub async fn list_activities(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<YearQuery>,
) -> Result<HttpResponse, ApiError> {
    let year = activities::activity_year(&state, &auth, query.year).await?;
    Ok(HttpResponse::Ok().json(year))
}
