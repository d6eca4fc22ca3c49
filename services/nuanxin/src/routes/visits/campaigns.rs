use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_db::models::visits::Campaign;
use serde::Deserialize;
use uuid::Uuid;

use super::PageQuery;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::page::{Page, Paging};
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::campaign::{self, CampaignFamilyView, CampaignProgress, CampaignView};
use crate::visits::VisitError;

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
    let (view, created) = generate(&state, &auth, &body.program, body.year).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Generates the campaign as the caller (API and console).
pub async fn generate(
    state: &web::Data<AppState>,
    auth: &Authorized,
    program: &str,
    year: i32,
) -> Result<(CampaignView, bool), ApiError> {
    auth.require(Resource::VisitCampaign, Action::Create)?;
    Ok(campaign::generate(
        state.clone().into_inner(),
        &auth.district,
        &auth.actor,
        program,
        year,
    )
    .await?)
}

/// The district's campaigns, the latest festival first.
pub async fn list_campaigns(
    state: web::Data<AppState>,
    auth: Authorized,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(campaign_list(&state, &auth).await?))
}

/// The district's campaigns as the caller may see them (API and console).
pub async fn campaign_list(
    state: &AppState,
    auth: &Authorized,
) -> Result<Vec<CampaignView>, ApiError> {
    auth.require(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let rows = Campaign::list(&mut work).await?;
    work.commit().await?;
    Ok(rows
        .iter()
        .map(CampaignView::of)
        .collect::<Result<Vec<_>, VisitError>>()?)
}

/// One campaign with its progress by street and community in the caller's scope.
pub async fn get_campaign(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(campaign_progress(&state, &auth, id.into_inner()).await?))
}

/// The campaign's progress as the caller sees it (API and console).
pub async fn campaign_progress(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
) -> Result<CampaignProgress, ApiError> {
    auth.require(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let progress = campaign::progress(&mut work, &auth.district, auth.scope, id).await?;
    work.commit().await?;
    Ok(progress)
}

/// The campaign's families in the caller's scope, not yet visited first.
pub async fn campaign_families(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(families_page(&state, &auth, id.into_inner(), paging).await?))
}

/// A page of the campaign's families as the caller sees them (API and console).
pub async fn families_page(
    state: &AppState,
    auth: &Authorized,
    id: Uuid,
    paging: Paging,
) -> Result<Page<CampaignFamilyView>, ApiError> {
    auth.require(Resource::VisitCampaign, Action::Read)?;
    let mut work = auth.begin(state).await?;
    let (items, total) =
        campaign::families_page(&mut work, auth, id, paging.limit(), paging.offset()).await?;
    work.commit().await?;
    Ok(paging.page(items, total))
}
