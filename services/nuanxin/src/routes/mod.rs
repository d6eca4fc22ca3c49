//! HTTP handlers, one module per resource, each exposing `configure`. Handlers are thin: parse, authorize,
//! call the domain, map the result.

pub mod audit;
pub mod auth;
pub mod benefits;
pub mod checkins;
pub mod extract;
pub mod families;
pub mod follow_ups;
pub mod health;
pub mod openapi;
pub mod org_units;
pub mod platform;
pub mod policy;
pub mod sharing;
pub mod tasks;
pub mod visits;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::console::views::PageError;
use crate::error::ApiError;
pub use extract::Body;

/// `201 {"id"}`: what a create answers when the new thing's id is all the caller needs.
#[derive(Debug, serde::Serialize)]
pub struct Created<Id = uuid::Uuid> {
    pub id: Id,
}

/// An extractor's refusal (a path or query that does not parse): the API's JSON on `/api/` paths, the
/// console's Chinese page on the others.
fn refusal(req: &HttpRequest, e: ApiError) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        e.into()
    } else {
        PageError::Api(e).into()
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|_, req| refusal(req, ApiError::NotFound("没有找到"))),
    )
    .app_data(
        web::QueryConfig::default().error_handler(|e, req| refusal(req, extract::query_error(&e))),
    )
    .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
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
            .configure(sharing::configure)
            .configure(tasks::configure)
            .configure(visits::configure)
            .configure(openapi::configure)
            .configure(checkins::configure),
    );
}

/// An xlsx workbook as a download named `file_name` (exports and payment lists, API and console).
pub fn xlsx_download(bytes: Vec<u8>, file_name: &str) -> HttpResponse {
    xlsx_response(file_name).body(bytes)
}

/// The headers of an xlsx download named `file_name`, for a response that adds its own.
pub fn xlsx_response(file_name: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ));
    response
}
