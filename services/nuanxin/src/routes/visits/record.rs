use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::visits::VisitInput;
use uuid::Uuid;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;
use crate::visits::record::{self, VisitView};

/// Records a holiday visit of a campaign's family (`{"family_id", "visited_on", "how", "money_cny"}`):
/// 201; a second visit with money for the family is 409.
pub async fn record_visit(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<Uuid>,
    Body(body): Body<VisitInput>,
) -> Result<HttpResponse, ApiError> {
    let view = save_visit(&state, &auth, id.into_inner(), body).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Records the visit as the caller, in one transaction (the API's and the console's form).
pub async fn save_visit(
    state: &AppState,
    auth: &Authorized,
    campaign_id: Uuid,
    body: VisitInput,
) -> Result<VisitView, ApiError> {
    auth.require(Resource::Visit, Action::Create)?;
    let mut work = auth.begin(state).await?;
    let view = record::record_visit(&mut work, auth, campaign_id, body).await?;
    work.commit().await?;
    Ok(view)
}
