use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use serde::Deserialize;

use crate::auth::Authorized;
use crate::checkins::Caller;
use crate::error::ApiError;
use crate::page::Items;
use crate::state::AppState;

/// `?status=open` (not acknowledged, not cleared) or `all` (the default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    #[serde(default)]
    status: AlertsStatus,
}

#[derive(Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum AlertsStatus {
    Open,
    #[default]
    All,
}

/// The check-in alerts of the pairings in the caller's scope, newest first.
pub async fn list_alerts(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<AlertsQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::CheckInAlert, Action::List)?;
    let open_only = query.status == AlertsStatus::Open;
    let items = crate::checkins::alerts(&state, Caller::of(&auth), open_only).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}
