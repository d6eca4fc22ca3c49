use actix_web::{web, HttpResponse};
use chrono::Datelike;
use nuanxin_access::{Action, Resource};
use nuanxin_domain::visits::ActivityInput;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::activities::{
    self, ActivityView, ActivityYear, ParticipantChoice, ProjectInput, ProjectView,
};

/// Records an activity (`{"home", "street"?, "project_id"?, "held_on", "place", "kind",
/// "spending_cny", "participants": [family ids]}`): 201; over the year's budget 422.
pub async fn create_activity(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<ActivityInput>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(save_activity(&state, &auth, body).await?))
}

/// Records the activity as the caller, in one transaction (API and console).
pub async fn save_activity(
    state: &AppState,
    auth: &Authorized,
    body: ActivityInput,
) -> Result<ActivityView, ApiError> {
    auth.require(Resource::Activity, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = activities::record_activity(&mut work, auth, body).await?;
    work.commit().await?;
    Ok(view)
}

/// Creates a signature project (`{"street"?, "year", "name", "description"?}`): 201; a second for the
/// street and year 409.
pub async fn create_project(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(save_project(&state, &auth, body).await?))
}

/// Creates the signature project as the caller (API and console).
pub async fn save_project(
    state: &AppState,
    auth: &Authorized,
    body: ProjectInput,
) -> Result<ProjectView, ApiError> {
    auth.require(Resource::Activity, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = activities::create_project(&mut work, auth, body).await?;
    work.commit().await?;
    Ok(view)
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
    Ok(HttpResponse::Ok().json(activity_year(&state, &auth, query.year).await?))
}

/// The year's activities as the caller sees them (API and console).
pub async fn activity_year(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<ActivityYear, ApiError> {
    auth.require(Resource::Activity, Action::Read)?;
    let year = year.unwrap_or(auth.district.today().year());
    let mut work = auth.begin(state).await?;
    let view = activities::activity_year(&mut work, auth, year).await?;
    work.commit().await?;
    Ok(view)
}

/// The year's activities and, when the caller may record one, the families to choose participants
/// from (the console's page).
pub async fn activity_page(
    state: &AppState,
    auth: &Authorized,
    year: Option<i32>,
) -> Result<(ActivityYear, Vec<ParticipantChoice>), ApiError> {
    auth.require(Resource::Activity, Action::Read)?;
    let year = year.unwrap_or(auth.district.today().year());
    let mut work = auth.begin(state).await?;
    let view = activities::activity_year(&mut work, auth, year).await?;
    let choices = if auth.may(Resource::Activity, Action::Create) {
        activities::participant_choices(&mut work, auth).await?
    } else {
        Vec::new()
    };
    work.commit().await?;
    Ok((view, choices))
}
