use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_ids::FamilyId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Items;
use crate::routes::Body;
use crate::sharing::consent::{self, ConsentInput, WithdrawInput};
use crate::state::AppState;

/// `{"status": "given" | "withdrawn"}`.
#[derive(serde::Serialize)]
struct ConsentStatus {
    status: &'static str,
}

/// The family's consents to departments' purposes.
pub async fn list_consents(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::SharingConsent, Action::Update)?;
    let items =
        consent::of_family(&state.pool, &auth.district, auth.scope, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

/// Records the family's consent, with the date and how it was given.
pub async fn give_consent(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    Body(body): Body<ConsentInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::SharingConsent, Action::Update)?;
    consent::give(
        &state.pool,
        &auth.district,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        body,
    )
    .await?;
    Ok(HttpResponse::Created().json(ConsentStatus { status: "given" }))
}

/// Withdraws the family's consent.
pub async fn withdraw_consent(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    Body(body): Body<WithdrawInput>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::SharingConsent, Action::Update)?;
    consent::withdraw(
        &state.pool,
        &auth.district,
        &auth.actor,
        auth.scope,
        id.into_inner(),
        body,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ConsentStatus {
        status: "withdrawn",
    }))
}
