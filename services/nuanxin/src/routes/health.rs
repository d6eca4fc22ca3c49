//! Liveness, readiness and metrics.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

/// `GET /healthz`: the process answers.
#[derive(Serialize)]
struct Alive {
    status: &'static str,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Alive { status: "ok" })
}

/// `GET /readyz`.
#[derive(Serialize)]
struct Readiness {
    /// `ready`, `degraded` (a stalled check-in sweep) or `unavailable` (no database).
    status: &'static str,
    checkins_sweep: SweepHealth,
    /// `up` or `down`.
    database: &'static str,
    cache: CacheHealth,
}

#[derive(Serialize)]
struct SweepHealth {
    /// `ok`, `stalled`, `starting` or `unknown`.
    status: &'static str,
    last_success: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct CacheHealth {
    kind: &'static str,
    /// `up` or `down`.
    status: &'static str,
}

fn up(up: bool) -> &'static str {
    if up {
        "up"
    } else {
        "down"
    }
}

/// Ready when the database answers. The cache is reported, but a node without it still serves (sessions
/// are read from the database), so it stays in rotation. A stalled check-in sweep is reported as
/// `degraded` but keeps the node in rotation: the sweep runs on whichever node claims it, so taking
/// every node out would stop check-ins being logged as well.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = nuanxin_db::pool::ping(&state.pool).await.is_ok();
    let cache = state.store.ping().await.is_ok();
    let (sweep, last_sweep) = crate::checkins::sweep::health(&state.pool, Utc::now()).await;
    let status = match (database, sweep) {
        (false, _) => "unavailable",
        (true, "stalled") => "degraded",
        (true, _) => "ready",
    };
    let body = Readiness {
        status,
        checkins_sweep: SweepHealth {
            status: sweep,
            last_success: last_sweep,
        },
        database: up(database),
        cache: CacheHealth {
            kind: state.store.kind(),
            status: up(cache),
        },
    };
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
    let (sweep, _) = crate::checkins::sweep::health(&state.pool, Utc::now()).await;
    body.push_str(&format!(
        "# HELP nuanxin_checkins_sweep_stalled 1 when some district's check-in sweep has not completed for 5 minutes.\n# TYPE nuanxin_checkins_sweep_stalled gauge\nnuanxin_checkins_sweep_stalled {}\n",
        u8::from(sweep == "stalled")
    ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
