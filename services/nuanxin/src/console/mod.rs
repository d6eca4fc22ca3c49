//! The web console: Chinese pages rendered on the server from compile-checked askama templates
//! (`templates/`), signed in with a cookie session (`session`), every form carrying a CSRF token
//! (`csrf`). Each page handler builds the API's authorization object from the cookie session and calls
//! the same service function as the matching API handler, so a page never shows more than the API
//! would; navigation and buttons are drawn from what the caller may do. Static files are compiled in
//! (`assets`); charts are SVG drawn here (`charts`); htmx swaps filtered and paged lists in place.

pub mod assets;
mod benefits;
pub mod charts;
mod checkins;
pub mod csrf;
mod families;
mod family_form;
mod family_import;
mod form;
mod home;
mod platform;
mod policy;
pub mod session;
mod sharing;
mod tasks;
mod users;
pub mod views;
mod visits;

use actix_web::{web, HttpMessage, HttpRequest};
use tracing_actix_web::RequestId;

/// The request's id, for the audit records of what a page reads or changes.
fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(ToString::to_string)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(session::sign_in))
        .route("/assets/{name}", web::get().to(assets::serve))
        .route("/console/login", web::post().to(session::login))
        .route("/console/logout", web::post().to(session::logout))
        .route("/console", web::get().to(home::home))
        .route(
            "/console/platform/tenants",
            web::post().to(platform::onboard),
        )
        .route("/console/families", web::get().to(families::register))
        .route("/console/families/export", web::get().to(families::export))
        .route(
            "/console/families/new",
            web::get().to(family_form::new_family),
        )
        .route("/console/families/new", web::post().to(family_form::create))
        .route(
            "/console/families/import",
            web::get().to(family_import::import_page),
        )
        .route(
            "/console/families/import",
            web::post().to(family_import::import),
        )
        .route(
            "/console/families/{id}/edit",
            web::get().to(family_form::edit_family),
        )
        .route(
            "/console/families/{id}/edit",
            web::post().to(family_form::update),
        )
        .route("/console/families/{id}", web::get().to(families::family))
        .route(
            "/console/families/{id}/exit",
            web::post().to(families::exit),
        )
        .route("/console/benefits", web::get().to(benefits::cycles_page))
        .route("/console/benefits", web::post().to(benefits::generate))
        .route(
            "/console/benefits/{id}",
            web::get().to(benefits::cycle_page),
        )
        .route(
            "/console/benefits/{id}/step",
            web::post().to(benefits::step),
        )
        .route(
            "/console/benefits/{id}/payment-list",
            web::get().to(benefits::payment_list),
        )
        .route("/console/policy", web::get().to(policy::policy))
        .route("/console/users", web::get().to(users::users))
        .route("/console/users", web::post().to(users::create))
        .route("/console/users/{id}", web::post().to(users::change))
        .route("/console/policy/impact", web::post().to(policy::impact))
        .route(
            "/console/policy/parameters",
            web::post().to(policy::save_value),
        )
        .route("/console/sharing", web::get().to(sharing::index))
        .route("/console/sharing/requests", web::post().to(sharing::create))
        .route(
            "/console/sharing/requests/{id}",
            web::get().to(sharing::request),
        )
        .route(
            "/console/sharing/requests/{id}/decide",
            web::post().to(sharing::decide),
        )
        .route(
            "/console/sharing/releases/{id}",
            web::get().to(sharing::release),
        )
        .route(
            "/console/sharing/releases/{id}/export",
            web::get().to(sharing::export),
        )
        .route(
            "/console/sharing/releases/{id}/revoke",
            web::post().to(sharing::revoke),
        )
        .route(
            "/console/families/{id}/access-log",
            web::get().to(sharing::access_log),
        )
        .route(
            "/console/families/{id}/sharing-consents",
            web::get().to(sharing::consents),
        )
        .route(
            "/console/families/{id}/sharing-consents",
            web::post().to(sharing::give_consent),
        )
        .route(
            "/console/families/{id}/sharing-consents/withdraw",
            web::post().to(sharing::withdraw_consent),
        )
        .route("/console/visits", web::get().to(visits::campaigns))
        .route("/console/visits", web::post().to(visits::create))
        .route("/console/visits/{id}", web::get().to(visits::campaign))
        .route("/console/visits/{id}/visits", web::post().to(visits::visit))
        .route("/console/contacts/{id}", web::get().to(visits::contacts))
        .route(
            "/console/contacts/{id}",
            web::post().to(visits::log_contact),
        )
        .route("/console/dashboard", web::get().to(visits::dashboard))
        .route("/console/activities", web::get().to(visits::activities))
        .route(
            "/console/activities",
            web::post().to(visits::record_activity),
        )
        .route(
            "/console/activities/projects",
            web::post().to(visits::create_project),
        )
        .route(
            "/console/dashboard/export",
            web::get().to(visits::export_dashboard),
        )
        .route("/console/checkins", web::get().to(checkins::checkins_page))
        .route(
            "/console/checkins/alerts/{id}/acknowledge",
            web::post().to(checkins::acknowledge),
        )
        .route(
            "/console/checkins/{id}/check-in",
            web::post().to(checkins::check_in),
        )
        .route(
            "/console/checkins/{id}/withdraw",
            web::post().to(checkins::withdraw),
        )
        .route(
            "/console/checkins/helpers",
            web::post().to(checkins::create_helper),
        )
        .route(
            "/console/checkins/enrolments",
            web::post().to(checkins::enrol),
        )
        .route("/console/checkins/pair", web::get().to(checkins::pair_page))
        .route(
            "/console/checkins/pairings",
            web::post().to(checkins::create_pairing),
        )
        .route(
            "/console/checkins/{id}/pause",
            web::post().to(checkins::pause),
        )
        .route(
            "/console/checkins/{id}/emergency",
            web::post().to(checkins::emergency),
        )
        .configure(tasks_routes)
        .default_service(web::to(
            |req: HttpRequest| async move { views::not_found(&req) },
        ));
}

/// The tasks module's pages (literal paths before the `{id}` ones).
fn tasks_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console/tasks", web::get().to(tasks::tasks_page))
        .route("/console/tasks/new", web::get().to(tasks::new_task))
        .route("/console/tasks/new", web::post().to(tasks::create_task))
        .route("/console/tasks/runs", web::post().to(tasks::start_run))
        .route("/console/tasks/runs/{id}", web::get().to(tasks::run_page))
        .route(
            "/console/task-proposals/runs",
            web::post().to(tasks::run_proposals),
        )
        .route(
            "/console/task-proposals/{id}/dismiss",
            web::post().to(tasks::dismiss_proposal),
        )
        .route(
            "/console/tasks/offers/{id}/{step}",
            web::post().to(tasks::offer_step),
        )
        .route("/console/tasks/{id}", web::get().to(tasks::task_page))
        .route(
            "/console/tasks/{id}/cancel",
            web::post().to(tasks::cancel_task),
        )
        .route("/console/volunteers", web::get().to(tasks::volunteers_page))
        .route(
            "/console/volunteers/new",
            web::get().to(tasks::new_volunteer),
        )
        .route(
            "/console/volunteers/new",
            web::post().to(tasks::create_volunteer),
        )
        .route(
            "/console/volunteers/hours",
            web::get().to(tasks::hours_page),
        )
        .route(
            "/console/volunteers/hours/export",
            web::get().to(tasks::export_hours),
        )
        .route(
            "/console/volunteers/{id}",
            web::get().to(tasks::edit_volunteer),
        )
        .route(
            "/console/volunteers/{id}",
            web::post().to(tasks::update_volunteer),
        );
}
