use actix_web::{web, HttpResponse};
use nuanxin_access::{Action, Resource};
use nuanxin_domain::sharing::RequestStatus;
use nuanxin_ids::DataRequestId;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::Authorized;
use crate::benefits::Access;
use crate::error::ApiError;
use crate::page::Paging;
use crate::routes::extract::status_param;
use crate::routes::Body;
use crate::sharing::requests;
use crate::sharing::{release, SharingError};
use crate::state::AppState;

/// `POST /data-requests`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub purpose: String,
    pub fields: Vec<String>,
    #[serde(default)]
    pub filter: Map<String, Value>,
    pub days: i64,
}

impl NewRequest {
    /// As the crate's request; a filter value that is not text is refused at its path.
    pub fn into_request(self) -> Result<nuanxin_sharing::Request, SharingError> {
        let mut filter = Vec::with_capacity(self.filter.len());
        for (name, value) in self.filter {
            match value {
                Value::String(v) => filter.push((name, v)),
                _ => {
                    return Err(SharingError::invalid(
                        &format!("filter.{name}"),
                        "筛选值应为文本",
                    ))
                }
            }
        }
        Ok(nuanxin_sharing::Request {
            purpose: self.purpose,
            fields: self.fields,
            filter,
            days: self.days,
        })
    }
}

/// `{"id", "status"}`: a request as created (`pending`) or as decided.
#[derive(serde::Serialize)]
struct Decided {
    id: DataRequestId,
    status: RequestStatus,
}

/// A department asks for data under one of its rules.
pub async fn create_request(
    state: web::Data<AppState>,
    auth: Authorized,
    Body(body): Body<NewRequest>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::Create)?;
    let unit = crate::sharing::own_unit(&auth)?;
    let req = body.into_request()?;
    let row = requests::create(&state.pool, &auth.district, &auth.actor, unit, req).await?;
    Ok(HttpResponse::Created().json(Decided {
        id: row.id,
        status: row.status,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The caller's requests (the steward: every department's; `?status=pending` is the queue).
pub async fn list_requests(
    state: web::Data<AppState>,
    auth: Authorized,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::List)?;
    let viewer = crate::sharing::viewer(&auth)?;
    let paging = Paging::new(query.page, query.per_page, 50, 200)?;
    let status = status_param::<RequestStatus>(query.status.as_deref())?;
    let items = requests::list(
        &state.pool,
        &auth.district,
        viewer,
        status,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(paging.window(items)))
}

/// One request beside its rule; the steward also sees how many families it covers today.
pub async fn get_request(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataRequestId>,
) -> Result<HttpResponse, ApiError> {
    let access: Access = state.clone().into_inner();
    Ok(HttpResponse::Ok().json(requests::detail(&access, &auth, id.into_inner()).await?))
}

/// The steward approves: the release is written and its id and last day returned.
pub async fn approve_request(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataRequestId>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::Approve)?;
    let approved = release::approve(
        state.clone().into_inner(),
        &auth.district,
        &auth.actor,
        id.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(approved))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    pub reason: String,
}

/// The steward rejects with a reason.
pub async fn reject_request(
    state: web::Data<AppState>,
    auth: Authorized,
    id: web::Path<DataRequestId>,
    Body(body): Body<Rejection>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Resource::DataRequest, Action::Approve)?;
    let id = id.into_inner();
    requests::reject(&state.pool, &auth.district, &auth.actor, id, &body.reason).await?;
    Ok(HttpResponse::Ok().json(Decided {
        id,
        status: RequestStatus::Rejected,
    }))
}
