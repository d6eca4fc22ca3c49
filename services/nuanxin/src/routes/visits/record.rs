use actix_web::{web, HttpResponse};
use nuanxin_domain::visits::VisitInput;
use nuanxin_ids::CampaignId;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::record;

/// Records a holiday visit of a campaign's family (`{"family_id", "visited_on", "how", "money_cny"}`):
/// 201; a second visit with money for the family is 409.
pub async fn record_visit(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<CampaignId>,
    Body(body): Body<VisitInput>,
) -> Result<HttpResponse, ApiError> {
    let view = record::save_visit(&state, &auth, id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(view))
}
