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

/// Ready when the database answers. The cache is reported, but a node without it still serves (sessions
/// are read from the database), so it stays in rotation. A stalled check-in sweep is reported as
/// `degraded` but keeps the node in rotation: the sweep runs on whichever node claims it, so taking
/// every node out would stop check-ins being logged as well.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = nuanxin_db::pool::ping(&state.pool).await.is_ok();
    let cache = state.store.ping().await.is_ok();
    let (sweep, last_sweep) = crate::checkins::sweep::health(&state.pool, chrono::Utc::now()).await;
    let status = match (database, sweep) {
        (false, _) => "unavailable",
        (true, "stalled") => "degraded",
        (true, _) => "ready",
    };
    let body = json!({
        "status": status,
        "checkins_sweep": { "status": sweep, "last_success": last_sweep },
        "database": if database { "up" } else { "down" },
        "cache": { "kind": state.store.kind(), "status": if cache { "up" } else { "down" } },
    });
    if database {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut body = state
        .metrics
        .render(&state.pool.status(), &state.near_families.status());
    // Without the database the jobs' lines are left out; the scrape still answers.
    if let Ok(jobs) = crate::jobs::last_successes(&state.pool).await {
        body.push_str(&crate::metrics::render_jobs(&jobs));
    }
    let (sweep, _) = crate::checkins::sweep::health(&state.pool, chrono::Utc::now()).await;
    body.push_str(&format!(
        "# HELP nuanxin_checkins_sweep_stalled 1 when some district's check-in sweep has not completed for 5 minutes.\n# TYPE nuanxin_checkins_sweep_stalled gauge\nnuanxin_checkins_sweep_stalled {}\n",
        u8::from(sweep == "stalled")
    ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
