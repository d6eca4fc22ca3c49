//! Liveness, readiness and metrics.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when the database and the cache both answer.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = nuanxin_db::pool::ping(&state.pool).await.is_ok();
    let cache = state.store.ping().await.is_ok();
    let body = json!({
        "status": if database && cache { "ready" } else { "unavailable" },
        "database": if database { "up" } else { "down" },
        "cache": { "kind": state.store.kind(), "status": if cache { "up" } else { "down" } },
    });
    if database && cache {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(
            state
                .metrics
                .render(&state.pool.status(), &state.near_families.status()),
        )
}
