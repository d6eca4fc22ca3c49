//! What every page shares: the frame the layout draws (title, who is signed in, the navigation drawn
//! from what the caller may do, the CSRF token of the logout form), the page errors, and the response
//! headers of every console page (the Content-Security-Policy admits scripts from this origin only).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use nuanxin_access::{Action, Resource, Role};
use nuanxin_domain::labels;

use super::assets;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::{AppState, District};

/// Scripts, styles, images and forms from this origin only; no inline script, no framing.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// What a page says when the district has no care policy, or none in force on `on`, in words with
/// what to do; `None` while a policy is in force. Pages that compute or pay entitlements show it.
pub fn policy_notice(district: &District, on: chrono::NaiveDate) -> Option<String> {
    let Some(policy) = district.policy.as_ref() else {
        return Some(
            "本区尚未配置关怀政策，暂不能计算可享受的项目，也不能生成发放周期。请区级管理员把本区政策文件交平台运营人员接入。"
                .to_owned(),
        );
    };
    if policy.in_force_on(on) {
        return None;
    }
    let basis = policy.legal_basis();
    let until = basis
        .in_force_until
        .map_or_else(String::new, |u| format!("至{u}"));
    Some(format!(
        "本区政策《{}》（{}）的有效期为{}{}，{}不在有效期内：这一天没有可享受的项目，只能为有效期内的期间生成发放周期。政策已到期的，请区级管理员尽快接入新的政策文件。",
        basis.title, basis.document_number, basis.in_force_from, until, on
    ))
}

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// What the layout draws around every page.
pub struct Frame {
    pub title: String,
    /// Who is signed in ("" on the sign-in page).
    pub user: String,
    pub role: &'static str,
    pub district: String,
    pub nav: Vec<NavItem>,
    /// The CSRF token of this session's forms (the logout form among them).
    pub csrf: String,
    pub css: String,
    pub js: String,
    pub htmx: String,
}

/// The pages a role may reach, in navigation order, with the permission each needs.
const PAGES: &[(&str, &str, Resource, Action)] = &[
    (
        "/console/families",
        "家庭登记",
        Resource::Family,
        Action::List,
    ),
    (
        "/console/benefits",
        "关怀发放",
        Resource::BenefitCycle,
        Action::Read,
    ),
    (
        "/console/policy",
        "政策与预测",
        Resource::Policy,
        Action::Read,
    ),
    ("/console/users", "用户管理", Resource::User, Action::Manage),
    (
        "/console/checkins",
        "每日探询",
        Resource::CheckInAlert,
        Action::List,
    ),
    (
        "/console/sharing",
        "数据共享",
        Resource::DataRequest,
        Action::List,
    ),
    (
        "/console/visits",
        "节日走访",
        Resource::VisitCampaign,
        Action::Read,
    ),
    (
        "/console/dashboard",
        "考核看板",
        Resource::Dashboard,
        Action::Read,
    ),
    (
        "/console/activities",
        "家园活动",
        Resource::Activity,
        Action::Read,
    ),
    (
        "/console/tasks",
        "服务任务",
        Resource::ServiceTask,
        Action::List,
    ),
    (
        "/console/volunteers",
        "志愿者",
        Resource::VolunteerRecord,
        Action::List,
    ),
];

impl Frame {
    /// A frame for a signed-out page.
    pub fn public(title: &str, csrf: String) -> Frame {
        Frame {
            title: title.to_owned(),
            user: String::new(),
            role: "",
            district: String::new(),
            nav: Vec::new(),
            csrf,
            css: assets::url("console.css"),
            js: assets::url("console.js"),
            htmx: assets::url("htmx.min.js"),
        }
    }

    /// The frame of a signed-in page at `path`; links only to what the caller may do.
    pub fn signed_in(
        state: &AppState,
        caller: &Caller,
        csrf: &str,
        title: &str,
        path: &str,
    ) -> Frame {
        let session = &caller.session;
        let district = session
            .tenant_id
            .and_then(|id| state.districts.by_id(id))
            .map_or_else(|| "暖心平台".to_owned(), |d| d.name.clone());
        let mut nav = vec![NavItem {
            href: "/console",
            label: "首页",
            active: path == "/console",
        }];
        nav.extend(
            PAGES
                .iter()
                .filter(|(_, _, resource, action)| caller.may(state, *resource, *action))
                .map(|(href, label, _, _)| NavItem {
                    href,
                    label,
                    active: path.starts_with(href),
                }),
        );
        Frame {
            user: session.display_name.clone(),
            role: primary_role(&caller.roles).map_or("", |r| r.title()),
            district,
            nav,
            ..Frame::public(title, csrf.to_owned())
        }
    }
}

/// The role whose home page a caller sees: the widest of their roles.
pub fn primary_role(roles: &[Role]) -> Option<Role> {
    [
        Role::PlatformOperator,
        Role::DistrictAdmin,
        Role::BureauStaff,
        Role::StreetStaff,
        Role::CommunityWorker,
        Role::SocialOrgStaff,
        Role::Volunteer,
    ]
    .into_iter()
    .find(|r| roles.contains(r))
}

/// A rendered page with the console's headers.
pub fn page<T: Template>(template: &T) -> Result<HttpResponse, PageError> {
    page_with_status(StatusCode::OK, template)
}

/// A page answered with `status`: a form sent back with its errors is 422, as the API would answer.
pub fn page_with_status<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<HttpResponse, PageError> {
    let body = template
        .render()
        .map_err(|e| PageError::Api(ApiError::internal(e)))?;
    Ok(with_headers(HttpResponse::build(status)).body(body))
}

/// The console's headers on a response under construction.
pub fn with_headers(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    builder
}

/// A redirect after a form (303: the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    frame: Frame,
    status: u16,
    message: String,
}

/// Why a page is not shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No session, or an ended one: back to the sign-in page.
    #[error("请先登录")]
    SignedOut,
    /// A state-changing form without this session's CSRF token.
    #[error("页面已过期或来源不明，请刷新页面后重试")]
    Csrf,
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// A module's error shows as the API answers it.
macro_rules! page_error_from {
    ($($error:ty),+) => {
        $(impl From<$error> for PageError {
            fn from(e: $error) -> PageError {
                PageError::Api(e.into())
            }
        })+
    };
}

page_error_from!(
    crate::registry::RegistryError,
    crate::benefits::BenefitError,
    crate::sharing::SharingError,
    crate::visits::VisitError,
    crate::tasks::TaskError,
    crate::page::PagingRefused
);

fn error_page(status: StatusCode, message: String) -> HttpResponse {
    let page = ErrorPage {
        frame: Frame::public("出错了", String::new()),
        status: status.as_u16(),
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>出错了</title>出错了".to_owned());
    with_headers(HttpResponse::build(status)).body(body)
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignedOut => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignedOut => see_other("/"),
            PageError::Csrf => error_page(StatusCode::FORBIDDEN, self.to_string()),
            PageError::Api(e) => {
                let status = e.status_code();
                if status.is_server_error() {
                    // The cause is logged by the API error's own mapping; the page says only what to do.
                    let _ = e.error_response();
                    let message = match e {
                        ApiError::Unavailable(m) => (*m).to_owned(),
                        _ => "服务内部错误，请稍后重试；如一直出现，请联系平台运营人员".to_owned(),
                    };
                    return error_page(status, message);
                }
                error_page(status, described(e))
            }
        }
    }
}

/// An error in words for a page: each field named by its Chinese label, never by its code.
fn described(e: &ApiError) -> String {
    match e {
        ApiError::Validation(errors) => errors
            .0
            .iter()
            .map(|f| match labels::known_field(&f.field) {
                Some(label) => format!("{label}：{}", f.message),
                None => f.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("；"),
        other => other.to_string(),
    }
}

/// The Chinese 404 page (or the API's JSON 404 for `/api/` paths).
pub fn not_found(req: &HttpRequest) -> HttpResponse {
    if req.path().starts_with("/api/") {
        return ApiError::NotFound("没有这个接口").error_response();
    }
    error_page(
        StatusCode::NOT_FOUND,
        "没有找到这个页面。请从首页的导航进入，或检查地址是否输入正确。".to_owned(),
    )
}

/// A list's paging, with the links of the neighbouring pages.
pub struct Pager {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the list's URL with its filters, ending in `?` or `&`.
    pub fn new(base: &str, page: i64, per_page: i64, total: i64) -> Pager {
        let pages = ((total + per_page - 1) / per_page.max(1)).max(1);
        let link = |p: i64| format!("{base}page={p}");
        Pager {
            total,
            page,
            pages,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters).
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pager_links_its_neighbours_only() {
        let p = Pager::new("/console/families?kind=bereaved&", 2, 50, 120);
        assert_eq!(p.pages, 3);
        assert_eq!(
            p.prev.as_deref(),
            Some("/console/families?kind=bereaved&page=1")
        );
        assert_eq!(
            p.next.as_deref(),
            Some("/console/families?kind=bereaved&page=3")
        );
        let only = Pager::new("/x?", 1, 50, 0);
        assert_eq!((only.pages, only.prev, only.next), (1, None, None));
    }

    #[test]
    fn the_policy_admits_no_inline_script() {
        let script = CSP
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"));
        assert_eq!(script, Some("script-src 'self'"));
        assert!(!CSP.contains("unsafe"));
    }

    proptest! {
        #[test]
        fn encoded_values_decode_back(value in any::<String>()) {
            let encoded = url_encode(&value);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
            let mut bytes = Vec::new();
            let mut rest = encoded.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                if b == b'%' {
                    let hex = std::str::from_utf8(&tail[..2]).unwrap_or("00");
                    bytes.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    rest = &tail[2..];
                } else {
                    bytes.push(b);
                    rest = tail;
                }
            }
            prop_assert_eq!(String::from_utf8(bytes).ok(), Some(value));
        }
    }
}
