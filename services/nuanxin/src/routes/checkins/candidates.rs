use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::family::ParentRole;
use nuanxin_ids::FamilyId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::error::ApiError;
use crate::page::Items;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidatesQuery {
    family_id: FamilyId,
    person: ParentRole,
}

/// Helpers who could be paired with an eligible elder, same community first, then nearest; 422 when
/// the elder is not eligible.
pub async fn pairing_candidates(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<CandidatesQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::Pairing, Action::Create)?;
    let items =
        crate::checkins::candidates(&state, Caller::of(&auth), query.family_id, query.person)
            .await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}
