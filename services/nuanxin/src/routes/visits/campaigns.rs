use actix_web::{web, HttpResponse};
use nuanxin_ids::CampaignId;
use serde::Deserialize;

use super::PageQuery;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::campaign;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// A holiday-visit program of the district's policy (`holiday_visit_spring_festival`, …).
    program: String,
    year: i32,
}

/// Generates the campaign of a holiday program for a year: 201 `{"id", "festival_on", "families", …}`;
/// 200 with the same campaign when it exists.
pub async fn create_campaign(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<CreateCampaign>,
) -> Result<HttpResponse, ApiError> {
    let (view, created) =
        campaign::generate_for(state.into_inner(), &auth, &body.program, body.year).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// The district's campaigns, the latest festival first.
pub async fn list_campaigns(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(campaign::campaign_list(&state, &auth).await?))
}

/// One campaign with its progress by street and community in the caller's scope.
pub async fn get_campaign(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CampaignId>,
) -> Result<HttpResponse, ApiError> {
    let progress = campaign::campaign_progress(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(progress))
}

/// The campaign's families in the caller's scope, not yet visited first.
pub async fn campaign_families(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CampaignId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = query.paging()?;
    let page = campaign::families_page(&state, &auth, id.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}
