//! Login, logout and who-am-I.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use nuanxin_db::models::tenant::PlatformOperator;
use nuanxin_db::models::user::User;
use nuanxin_db::pool::TenantTx;
use serde::Deserialize;
use serde_json::json;

use super::Body;
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
    tenant: String,
    username: String,
    password: String,
}

const LOGIN_WINDOW: Duration = Duration::from_secs(300);
const BAD_LOGIN: ApiError = ApiError::Unauthorized {
    code: "invalid_credentials",
    message: "用户名或密码错误",
};

async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    Body(body): Body<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let limit = state.settings.security.login_attempts_per_window;
    let client = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or("unknown")
        .to_owned();
    for key in [
        format!("rl:login:{}:{}", body.tenant, body.username),
        format!("rl:login-ip:{client}"),
    ] {
        // A client address gets more room than one account: an office shares one address.
        let allowed = if key.starts_with("rl:login-ip") {
            limit * 10
        } else {
            limit
        };
        let (count, retry_after) = state.store.hit(&key, LOGIN_WINDOW).await;
        if count > allowed {
            return Err(ApiError::TooManyRequests { retry_after });
        }
    }
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
            body.password,
            operator.as_ref().map(|o| o.password_hash.clone()),
        )
        .await
        {
            return Err(BAD_LOGIN);
        }
        let operator = operator.ok_or(BAD_LOGIN)?;
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
        let user = match &district {
            Some(d) => {
                let mut tx = TenantTx::begin(&state.pool, d.id).await?;
                let user = User::by_username(&mut tx, &body.username).await?;
                tx.commit().await?;
                user.filter(|u| u.active)
            }
            None => None,
        };
        if !password::verify(
            body.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await
        {
            return Err(BAD_LOGIN);
        }
        let (Some(district), Some(user)) = (district, user) else {
            return Err(BAD_LOGIN);
        };
        let roles = state
            .authorizer
            .roles_of(&district.slug, &format!("user:{}", user.id));
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
    let ttl = Duration::from_secs(state.settings.security.session_ttl_minutes * 60);
    let session = Session {
        expires_at: chrono::Utc::now().timestamp() + ttl.as_secs() as i64,
        ..session
    };
    let token = open_session(&state, &session, ttl).await?;
    tracing::info!(user.id = %session.user_id, domain = %session.domain, "login");
    Ok(HttpResponse::Ok().json(json!({
        "token": token,
        "token_type": "Bearer",
        "expires_at": chrono::DateTime::from_timestamp(session.expires_at, 0),
        "roles": session.roles,
    })))
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
    Ok(HttpResponse::Ok().json(json!({
        "user_id": s.user_id,
        "username": s.username,
        "display_name": s.display_name,
        "tenant": s.domain,
        "tenant_name": district.as_ref().map(|d| d.name.clone()),
        "org_unit": org_unit,
        "roles": s.roles,
        "expires_at": chrono::DateTime::from_timestamp(s.expires_at, 0),
    })))
}
