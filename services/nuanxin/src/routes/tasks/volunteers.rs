//! Volunteers: list, register, read, replace.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::input::VolunteerInput;
use nuanxin_ids::VolunteerId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Paging;
use crate::routes::Body;
use crate::state::AppState;
use crate::tasks::volunteers;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The volunteers the caller manages (an organization its own, a street the independent ones).
pub async fn list_volunteers(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::VolunteerRecord, Action::List)?;
    let paging = Paging::new(query.page, query.per_page, 50, 500)?;
    let (items, total) = volunteers::list(&state, &auth, paging.limit(), paging.offset()).await?;
    Ok(HttpResponse::Ok().json(paging.page(items, total)))
}

pub async fn create_volunteer(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(input): Body<VolunteerInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::VolunteerRecord, Action::Create)?;
    let view = volunteers::create(&state, &auth, input).await?;
    Ok(HttpResponse::Created().json(view))
}

pub async fn get_volunteer(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<VolunteerId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::VolunteerRecord, Action::Read)?;
    Ok(HttpResponse::Ok().json(volunteers::get(&state, &auth, id.into_inner()).await?))
}

/// A replacement: the whole volunteer, and whether they are still active (default yes).
#[derive(Deserialize)]
pub struct Replacement {
    #[serde(flatten)]
    volunteer: VolunteerInput,
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

pub async fn update_volunteer(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<VolunteerId>,
    Body(body): Body<Replacement>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::VolunteerRecord, Action::Update)?;
    let view =
        volunteers::update(&state, &auth, id.into_inner(), body.volunteer, body.active).await?;
    Ok(HttpResponse::Ok().json(view))
}
