//! `/api/v1/families`: the family registry.

pub mod create;
pub mod entitlements;
pub mod exit;
pub mod export;
pub mod get;
pub mod history;
pub mod import;
pub mod list;
pub mod update;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/families", web::get().to(list::list_families))
        .route("/families", web::post().to(create::create_family))
        .route("/families/import", web::post().to(import::import_families))
        .route("/families/export", web::get().to(export::export_families))
        .route("/families/{id}", web::get().to(get::get_family))
        .route("/families/{id}", web::put().to(update::update_family))
        .route("/families/{id}/exit", web::post().to(exit::exit_family))
        .route(
            "/families/{id}/history",
            web::get().to(history::family_history),
        )
        .route(
            "/families/{id}/entitlements",
            web::get().to(entitlements::family_entitlements),
        );
}
