//! The OpenAPI document, kept beside the service (`openapi.yaml`) and served as JSON.

use actix_web::{web, HttpResponse};

const DOCUMENT: &str = include_str!("../../openapi.yaml");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi));
}

/// The document as JSON.
pub fn document() -> serde_json::Value {
    serde_saphyr::from_str(DOCUMENT).unwrap_or(serde_json::Value::Null)
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
