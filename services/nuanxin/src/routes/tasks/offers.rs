//! An offer's steps: the organization (or independent volunteer) accepts or declines, the organization
//! assigns, the volunteer checks in and out; and the caller's own offers with their deadlines.

use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::input::{ReasonInput, ReportInput};
use nuanxin_domain::tasks::OfferStatus;
use nuanxin_ids::{OfferId, VolunteerId};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Items;
use crate::routes::extract::status_param;
use crate::routes::Body;
use crate::state::AppState;
use crate::tasks::offers::{self, Step};

async fn step(
    state: &AppState,
    auth: &Authorized,
    id: OfferId,
    action: Action,
    step: Step,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::TaskOffer, action)?;
    Ok(HttpResponse::Ok().json(offers::take(state, auth, id, step).await?))
}

pub async fn accept_offer(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<OfferId>,
) -> Result<HttpResponse, ApiError> {
    step(
        &state,
        &auth,
        id.into_inner(),
        Action::Respond,
        Step::Accept,
    )
    .await
}

pub async fn decline_offer(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<OfferId>,
    Body(body): Body<ReasonInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::TaskOffer, Action::Respond)?;
    let reason = body.validate().map_err(ApiError::Validation)?;
    step(
        &state,
        &auth,
        id.into_inner(),
        Action::Respond,
        Step::Decline(reason),
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    volunteer_id: VolunteerId,
}

pub async fn assign_offer(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<OfferId>,
    Body(body): Body<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let volunteer = body.volunteer_id;
    step(
        &state,
        &auth,
        id.into_inner(),
        Action::Assign,
        Step::Assign(volunteer),
    )
    .await
}

pub async fn check_in(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<OfferId>,
) -> Result<HttpResponse, ApiError> {
    step(
        &state,
        &auth,
        id.into_inner(),
        Action::Report,
        Step::CheckIn,
    )
    .await
}

pub async fn check_out(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<OfferId>,
    Body(body): Body<ReportInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::TaskOffer, Action::Report)?;
    let report = body.validate().map_err(ApiError::Validation)?;
    step(
        &state,
        &auth,
        id.into_inner(),
        Action::Report,
        Step::CheckOut(report),
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
}

/// The caller's offers, newest first: an organization's, or an independent or assigned volunteer's.
pub async fn list_offers(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::List)?;
    let status = status_param::<OfferStatus>(query.status.as_deref())?;
    let items = offers::mine(&state, &auth, status).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}
