//! `/api/v1/benefits`: cycles, the ledger's steps, the payment list and the forecast; and
//! `/api/v1/policy/impact` (a register-wide computation like the forecast, so it lives here).

mod bank_file;
pub mod cycles;
pub mod entries;
pub mod forecast;
pub mod generate;
pub mod impact;
pub mod payment_list;
pub mod step;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/benefits/cycles", web::post().to(generate::generate_cycle))
        .route("/benefits/cycles", web::get().to(cycles::list_cycles))
        .route("/benefits/cycles/{id}", web::get().to(cycles::get_cycle))
        .route(
            "/benefits/cycles/{id}/entries",
            web::get().to(entries::list_entries),
        )
        .route(
            "/benefits/cycles/{id}/payment-list",
            web::get().to(payment_list::export_payment_list),
        )
        .route(
            "/benefits/cycles/{id}/bank-file",
            web::get().to(bank_file::export_bank_file),
        )
        .route(
            "/benefits/entries/{action}",
            web::post().to(step::step_many),
        )
        .route(
            "/benefits/entries/{id}/{action}",
            web::post().to(step::step_one),
        )
        .route("/benefits/forecast", web::get().to(forecast::year_forecast))
        .route("/policy/impact", web::post().to(impact::policy_impact));
}
