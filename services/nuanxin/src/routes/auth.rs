//! Login, logout and who-am-I.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_db::models::access_rule::AccessRule;
use nuanxin_db::models::tenant::PlatformOperator;
use nuanxin_db::models::user::User;
use nuanxin_db::pool::TenantTx;
use serde::{Deserialize, Serialize};

use super::extract::read_limited;
use super::Body;
use crate::auth::throttle::{client_address, LoginThrottle};
use crate::auth::{open_session, password, role_names, Caller, Session, PLATFORM_DOMAIN};
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/me", web::get().to(me));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A district slug, or `platform` for platform operators.
    pub(crate) tenant: String,
    pub(crate) username: String,
    pub(crate) password: String,
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

/// The session a correct password opens, or None (the console's sign-in form uses it too).
pub(crate) async fn authenticate(
    state: &AppState,
    body: &LoginRequest,
) -> Result<Option<Session>, ApiError> {
    let session = if body.tenant == PLATFORM_DOMAIN {
        let operator = {
            let mut conn = state
                .pool
                .get()
                .await
                .map_err(|_| ApiError::Unavailable("数据库暂时不可用"))?;
            PlatformOperator::by_username(&mut conn, &body.username).await?
        };
        if !password::verify(
            body.password.clone(),
            operator.as_ref().map(|o| o.password_hash.clone()),
        )
        .await
        {
            return Ok(None);
        }
        let Some(operator) = operator else {
            return Ok(None);
        };
        Session {
            user_id: operator.id,
            tenant_id: None,
            domain: PLATFORM_DOMAIN.into(),
            username: operator.username,
            display_name: operator.display_name,
            org_unit_id: None,
            roles: vec![nuanxin_access::Role::PlatformOperator.as_str().to_owned()],
            expires_at: 0,
        }
    } else {
        let district = state.districts.by_slug(&body.tenant);
        let found = match &district {
            Some(d) => {
                let mut tx = TenantTx::begin(&state.pool, d.id).await?;
                let user = User::by_username(&mut tx, &body.username).await?;
                // The roles as stored now, not as this node last loaded them: a role changed on
                // another node holds here from the next sign-in.
                let roles = match &user {
                    Some(u) => {
                        AccessRule::roles_of(&mut tx, &format!("user:{}", u.id), &d.slug).await?
                    }
                    None => Vec::new(),
                };
                tx.commit().await?;
                user.filter(|u| u.active).map(|u| (u, roles))
            }
            None => None,
        };
        if !password::verify(
            body.password.clone(),
            found.as_ref().map(|(u, _)| u.password_hash.clone()),
        )
        .await
        {
            return Ok(None);
        }
        let (Some(district), Some((user, subjects))) = (district, found) else {
            return Ok(None);
        };
        let roles: Vec<nuanxin_access::Role> = subjects
            .iter()
            .filter_map(|s| nuanxin_access::Role::from_subject(s).ok())
            .collect();
        Session {
            user_id: user.id,
            tenant_id: Some(district.id),
            domain: district.slug.clone(),
            username: user.username,
            display_name: user.display_name,
            org_unit_id: Some(user.org_unit_id),
            roles: role_names(&roles),
            expires_at: 0,
        }
    };
    Ok(Some(session))
}

/// Opens `session` for the configured lifetime: its token and the session as stored.
pub(crate) async fn begin_session(
    state: &AppState,
    session: Session,
) -> Result<(String, Session), ApiError> {
    let ttl = Duration::from_secs(state.settings.security.session_ttl_minutes * 60);
    let session = Session {
        expires_at: chrono::Utc::now().timestamp() + ttl.as_secs() as i64,
        ..session
    };
    let token = open_session(state, &session, ttl).await?;
    tracing::info!(user.id = %session.user_id, domain = %session.domain, "login");
    Ok((token, session))
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
    user_id: uuid::Uuid,
    username: &'a str,
    display_name: &'a str,
    tenant: &'a str,
    tenant_name: Option<&'a str>,
    org_unit: Option<nuanxin_domain::org::OrgUnitInfo>,
    roles: &'a [String],
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
