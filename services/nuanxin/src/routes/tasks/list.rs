use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::tasks::TaskStatus;
use serde::Deserialize;

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::page::Paging;
use crate::routes::extract::status_param;
use crate::state::AppState;
use crate::tasks::service_tasks;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open`, `done`, `lapsed`, `cancelled`; all when left out.
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The tasks the caller reaches, soonest first.
pub async fn list_tasks(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::ServiceTask, Action::List)?;
    let paging = Paging::new(query.page, query.per_page, 50, 200)?;
    let status = status_param::<TaskStatus>(query.status.as_deref())?;
    let (items, total) =
        service_tasks::list(&state, &auth, status, paging.limit(), paging.offset()).await?;
    Ok(HttpResponse::Ok().json(paging.page(items, total)))
}
