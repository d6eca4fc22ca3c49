use actix_web::{web, HttpResponse};
use chrono::Utc;
use nuanxin_access::{Action, Resource};
use nuanxin_ids::AlertId;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::error::ApiError;
use crate::routes::Body;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgment {
    /// What the recipient found (reached and well, sent to hospital, …).
    finding: String,
}

/// `{"id", "status": "acknowledged", "closed"}`: how many of the pairing's open alerts it closed.
#[derive(serde::Serialize)]
struct Acknowledged {
    id: AlertId,
    status: &'static str,
    closed: usize,
}

/// Acknowledges an alert with what was found: the ladder stops for the day.
pub async fn acknowledge_alert(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<AlertId>,
    Body(body): Body<Acknowledgment>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::CheckInAlert, Action::Update)?;
    let id = id.into_inner();
    let closed =
        crate::checkins::acknowledge(&state, Caller::of(&auth), id, &body.finding, Utc::now())
            .await?;
    Ok(HttpResponse::Ok().json(Acknowledged {
        id,
        status: "acknowledged",
        closed,
    }))
}
