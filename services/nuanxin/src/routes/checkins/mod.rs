//! `/api/v1/helpers`, `/api/v1/pairings…`, `/api/v1/check-in-alerts…`: neighbour pairing and daily
//! check-ins (issue 11). Each handler parses, authorizes and calls `crate::checkins`.

mod acknowledge;
mod alerts;
mod candidates;
mod check_ins;
mod create_helper;
mod create_pairing;
mod emergencies;
mod enrol;
mod pauses;
mod withdraw;

pub use alerts::AlertsQuery;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/helpers", web::post().to(create_helper::create_helper))
        .route(
            "/pairings/candidates",
            web::get().to(candidates::pairing_candidates),
        )
        .route("/pairings/enrolments", web::post().to(enrol::enrol_member))
        .route("/pairings", web::post().to(create_pairing::create_pairing))
        .route(
            "/pairings/{id}/check-ins",
            web::post().to(check_ins::log_check_in),
        )
        .route(
            "/pairings/{id}/withdraw",
            web::post().to(withdraw::withdraw_pairing),
        )
        .route(
            "/pairings/{id}/pauses",
            web::post().to(pauses::pause_pairing),
        )
        .route(
            "/pairings/{id}/emergencies",
            web::post().to(emergencies::record_emergency),
        )
        .route("/check-in-alerts", web::get().to(alerts::list_alerts))
        .route(
            "/check-in-alerts/{id}/acknowledge",
            web::post().to(acknowledge::acknowledge_alert),
        );
}
