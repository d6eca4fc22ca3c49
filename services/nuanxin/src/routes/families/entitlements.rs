use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use nuanxin_ids::FamilyId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::registry::reads::family_facts;
use crate::routes::policy::evaluate_family;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementsQuery {
    /// Evaluation date; today in the district when absent.
    as_of: Option<NaiveDate>,
    /// Also list the programs the family missed and why.
    #[serde(default)]
    explain: bool,
}

/// What a registered family is entitled to on a date, computed from its registry record.
pub async fn family_entitlements(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<FamilyId>,
    query: web::Query<EntitlementsQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = query.as_of.unwrap_or_else(|| auth.district.today());
    let facts = family_facts(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(evaluate_family(
        &auth.district,
        facts,
        as_of,
        query.explain,
    )?))
}
