//! `/api/v1/volunteers`, `/api/v1/service-tasks` (with its `runs` and `offers`) and
//! `/api/v1/task-proposals`: service tasks and volunteer matching. Literal paths are registered before `{id}` ones, which take only a UUID.

mod cancel;
mod create;
mod get;
pub mod hours;
mod import;
mod list;
mod offers;
mod proposals;
pub mod runs;
mod volunteers;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/volunteers", web::get().to(volunteers::list_volunteers))
        .route("/volunteers", web::post().to(volunteers::create_volunteer))
        .route("/volunteers/hours", web::get().to(hours::volunteer_hours))
        .route(
            "/volunteers/import",
            web::post().to(import::import_volunteers),
        )
        .route(
            "/volunteers/hours/export",
            web::get().to(hours::export_volunteer_hours),
        )
        .route("/volunteers/{id}", web::get().to(volunteers::get_volunteer))
        .route(
            "/volunteers/{id}",
            web::put().to(volunteers::update_volunteer),
        )
        .route("/service-tasks", web::get().to(list::list_tasks))
        .route("/service-tasks", web::post().to(create::create_tasks))
        .route("/service-tasks/runs", web::post().to(runs::start_run))
        .route("/service-tasks/runs/{id}", web::get().to(runs::get_run))
        .route("/service-tasks/offers", web::get().to(offers::list_offers))
        .route(
            "/service-tasks/offers/{id}/accept",
            web::post().to(offers::accept_offer),
        )
        .route(
            "/service-tasks/offers/{id}/decline",
            web::post().to(offers::decline_offer),
        )
        .route(
            "/service-tasks/offers/{id}/assign",
            web::post().to(offers::assign_offer),
        )
        .route(
            "/service-tasks/offers/{id}/check-in",
            web::post().to(offers::check_in),
        )
        .route(
            "/service-tasks/offers/{id}/check-out",
            web::post().to(offers::check_out),
        )
        .route("/task-proposals", web::get().to(proposals::list_proposals))
        .route(
            "/task-proposals/runs",
            web::post().to(proposals::run_proposals),
        )
        .route(
            "/task-proposals/{id}/dismiss",
            web::post().to(proposals::dismiss_proposal),
        )
        .route("/service-tasks/{id}", web::get().to(get::get_task))
        .route(
            "/service-tasks/{id}/cancel",
            web::post().to(cancel::cancel_task),
        );
}
