//! `/api/v1/visit-campaigns` (holiday visits) and `/api/v1/families/{id}/contacts-log` (daily contact),
//! `/api/v1/families/{id}/contact-accounts` (accounts that are a family's contact persons).

pub mod activities;
pub mod campaigns;
pub mod contacts;
pub mod dashboard;
pub mod record;

use actix_web::web;
use serde::Deserialize;

use crate::error::ApiError;
use crate::page::Paging;

/// `?page=&per_page=` of the module's lists.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    page: Option<i64>,
    per_page: Option<i64>,
}

impl PageQuery {
    /// The page asked for: 50 a page by default, at most 500.
    fn paging(&self) -> Result<Paging, ApiError> {
        Ok(Paging::new(self.page, self.per_page, 50, 500)?)
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/visit-campaigns",
        web::post().to(campaigns::create_campaign),
    )
    .route("/visit-campaigns", web::get().to(campaigns::list_campaigns))
    .route(
        "/visit-campaigns/{id}",
        web::get().to(campaigns::get_campaign),
    )
    .route(
        "/visit-campaigns/{id}/families",
        web::get().to(campaigns::campaign_families),
    )
    .route(
        "/visit-campaigns/{id}/visits",
        web::post().to(record::record_visit),
    )
    .route(
        "/families/{id}/contacts-log",
        web::get().to(contacts::list_contacts),
    )
    .route(
        "/families/{id}/contacts-log",
        web::post().to(contacts::log_contact),
    )
    .route("/activities", web::post().to(activities::create_activity))
    .route("/activities", web::get().to(activities::list_activities))
    .route(
        "/signature-projects",
        web::post().to(activities::create_project),
    )
    .route("/visits/dashboard", web::get().to(dashboard::get_dashboard))
    .route(
        "/visits/dashboard/export",
        web::get().to(dashboard::export_dashboard),
    )
    .route(
        "/families/{id}/contact-accounts",
        web::post().to(contacts::link_account),
    );
}
