//! `/api/v1/sharing`, `/data-requests`, `/data-releases`, `/verifications` and a family's access log
//! and consents: privacy-controlled data sharing between departments (issue 12).

pub mod access_log;
pub mod consents;
pub mod releases;
pub mod requests;
pub mod rules;
pub mod verifications;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sharing/rules", web::get().to(rules::list_rules))
        .route("/data-requests", web::post().to(requests::create_request))
        .route("/data-requests", web::get().to(requests::list_requests))
        .route("/data-requests/{id}", web::get().to(requests::get_request))
        .route(
            "/data-requests/{id}/approve",
            web::post().to(requests::approve_request),
        )
        .route(
            "/data-requests/{id}/reject",
            web::post().to(requests::reject_request),
        )
        .route("/data-releases", web::get().to(releases::list_releases))
        .route("/data-releases/{id}", web::get().to(releases::get_release))
        .route(
            "/data-releases/{id}/records",
            web::get().to(releases::release_records),
        )
        .route(
            "/data-releases/{id}/aggregate",
            web::get().to(releases::release_aggregate),
        )
        .route(
            "/data-releases/{id}/export",
            web::get().to(releases::export_release),
        )
        .route(
            "/data-releases/{id}/revoke",
            web::post().to(releases::revoke_release),
        )
        .route("/verifications", web::post().to(verifications::verify))
        .route(
            "/families/{id}/access-log",
            web::get().to(access_log::family_access_log),
        )
        .route(
            "/families/{id}/sharing-consents",
            web::get().to(consents::list_consents),
        )
        .route(
            "/families/{id}/sharing-consents",
            web::post().to(consents::give_consent),
        )
        .route(
            "/families/{id}/sharing-consents/withdraw",
            web::post().to(consents::withdraw_consent),
        );
}
