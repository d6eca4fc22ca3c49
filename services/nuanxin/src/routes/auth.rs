//! Login, logout and who-am-I.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::extract::read_limited;
use super::Body;
use crate::auth::sign_in::{authenticate, begin_session, LoginRequest};
use crate::auth::throttle::{client_address, LoginThrottle};
use crate::auth::{Caller, Session};
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/me", web::get().to(me));
}

const BAD_LOGIN: ApiError = ApiError::Unauthorized {
    code: "invalid_credentials",
    message: "用户名或密码错误",
};

/// A login body is a few dozen bytes; nothing larger is read.
const LOGIN_BODY_LIMIT: usize = 4 * 1024;

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Limits first, then the body: a flood of large bodies is refused before any is buffered.
    let address = client_address(&req, &state.settings.security.trusted_proxies());
    let throttle = LoginThrottle::admit(
        &state.store,
        state.settings.security.login_attempts_per_window,
        address,
    )
    .await?;
    let bytes = read_limited(payload.into_inner(), LOGIN_BODY_LIMIT).await?;
    let body: LoginRequest = Body::parse(&bytes)?;
    throttle.check_account(&body.tenant, &body.username).await?;
    match authenticate(&state, &body).await? {
        Some(session) => start_session(&state, session).await,
        None => {
            throttle.failed(&body.tenant, &body.username).await;
            Err(BAD_LOGIN)
        }
    }
}

async fn start_session(state: &AppState, session: Session) -> Result<HttpResponse, ApiError> {
    let (token, session) = begin_session(state, session).await?;
    Ok(HttpResponse::Ok().json(SignedIn {
        token,
        token_type: "Bearer",
        expires_at: chrono::DateTime::from_timestamp(session.expires_at, 0),
        roles: session.roles,
    }))
}

/// What a login answers: the bearer token and until when it holds.
#[derive(Serialize)]
struct SignedIn {
    token: String,
    token_type: &'static str,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    roles: Vec<String>,
}

async fn logout(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.logout(&state).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let s = &caller.session;
    let district = s.tenant_id.and_then(|id| state.districts.by_id(id));
    let org_unit = district
        .as_ref()
        .zip(s.org_unit_id)
        .and_then(|(d, id)| d.orgs.get(id).cloned());
    Ok(HttpResponse::Ok().json(Me {
        user_id: s.user_id,
        username: &s.username,
        display_name: &s.display_name,
        tenant: &s.domain,
        tenant_name: district.as_ref().map(|d| d.name.as_str()),
        org_unit,
        roles: &s.roles,
        expires_at: chrono::DateTime::from_timestamp(s.expires_at, 0),
    }))
}

/// The signed-in caller as `GET /auth/me` shows them.
#[derive(Serialize)]
struct Me<'a> {
    user_id: nuanxin_ids::UserId,
    username: &'a str,
    display_name: &'a str,
    tenant: &'a str,
    tenant_name: Option<&'a str>,
    org_unit: Option<nuanxin_domain::org::OrgUnitInfo>,
    roles: &'a [String],
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
