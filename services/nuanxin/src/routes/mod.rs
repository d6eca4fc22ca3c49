//! HTTP handlers, one module per resource, each exposing `configure`. Handlers are thin: parse, authorize,
//! call the domain, map the result.

pub mod audit;
pub mod auth;
pub mod benefits;
pub mod families;
pub mod follow_ups;
pub mod health;
pub mod openapi;
pub mod org_units;
pub mod platform;
pub mod policy;

use std::sync::Arc;

use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use tracing_actix_web::RequestId;

use crate::audit::Actor;
use crate::auth::Caller;
use crate::error::{json_error, ApiError};
use crate::state::{AppState, District};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default().error_handler(|_, _| ApiError::NotFound("没有找到").into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|e, _| {
        ApiError::BadRequest {
            code: "invalid_query",
            message: e.to_string(),
            field: None,
        }
        .into()
    }))
    .configure(health::configure)
    .service(
        web::scope("/api/v1")
            .configure(auth::configure)
            .configure(families::configure)
            .configure(org_units::configure)
            .configure(policy::configure)
            .configure(benefits::configure)
            .configure(follow_ups::configure)
            .configure(audit::configure)
            .configure(platform::configure)
            .configure(openapi::configure),
    );
}

/// The caller's district and how they appear in audit records.
pub fn district_of(
    state: &AppState,
    caller: &Caller,
    request_id: &RequestId,
) -> Result<(Arc<District>, Actor), ApiError> {
    let district = state
        .districts
        .by_id(caller.tenant_id()?)
        .ok_or(ApiError::Forbidden)?;
    let actor = Actor {
        user_id: caller.session.user_id,
        name: caller.session.display_name.clone(),
        actor: caller.actor(),
        request_id: Some(request_id.to_string()),
    };
    Ok((district, actor))
}

/// A JSON body whose parse errors name the field path (`parents[0].self_care`).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Body<T>, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes
                .await
                .map_err(|e| json_error(String::new(), e.to_string()))?;
            let de = &mut serde_json::Deserializer::from_slice(&bytes);
            serde_path_to_error::deserialize(de)
                .map(Body)
                .map_err(|e| json_error(e.path().to_string(), e.inner().to_string()))
        })
    }
}
