//! The web console: Chinese pages served by the service. They call the same `/api/v1` endpoints with the
//! session token, so the console can never show more than the API allows the user.

use actix_web::{web, HttpResponse};

const LAYOUT: &str = include_str!("../console/layout.html");
const LOGIN: &str = include_str!("../console/login.html");
const FAMILIES: &str = include_str!("../console/families.html");
const FAMILY: &str = include_str!("../console/family.html");
const BENEFITS: &str = include_str!("../console/benefits.html");
const CYCLE: &str = include_str!("../console/cycle.html");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(|| page("登录", LOGIN)))
        .route("/console", web::get().to(|| page("家庭登记", FAMILIES)))
        .route(
            "/console/families/{id}",
            web::get().to(|| page("家庭档案", FAMILY)),
        )
        .route(
            "/console/benefits",
            web::get().to(|| page("关怀发放", BENEFITS)),
        )
        .route(
            "/console/benefits/{id}",
            web::get().to(|| page("发放明细", CYCLE)),
        );
}

async fn page(title: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(LAYOUT.replace("{{title}}", title).replace("{{body}}", body))
}
