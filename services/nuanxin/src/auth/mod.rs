//! Who is calling: opaque bearer tokens, their sessions, and the `Caller` extractor.

pub mod authorized;
pub mod password;
pub mod session;
pub mod sign_in;
pub mod throttle;

pub use authorized::Authorized;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::{web, FromRequest, HttpRequest};
use base64::Engine;
use nuanxin_access::{Action, Resource, Role, Scope};
use nuanxin_ids::{OrgUnitId, TenantId, UserId};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::registry::view::Reveal;
use crate::state::AppState;

/// What a session holds; stored under the hash of its token, never under the token itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_id: UserId,
    /// None for platform operators.
    pub tenant_id: Option<TenantId>,
    /// The casbin domain: the district's slug, or `platform`.
    pub domain: String,
    pub username: String,
    pub display_name: String,
    pub org_unit_id: Option<OrgUnitId>,
    pub roles: Vec<String>,
    pub expires_at: i64,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: Session,
    pub roles: Vec<Role>,
    token: session::TokenHash,
}

pub const PLATFORM_DOMAIN: &str = "platform";

/// Creates a session and returns its token (shown to the client once).
pub async fn open_session(
    state: &AppState,
    session: &Session,
    ttl: Duration,
) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    state
        .sessions
        .open(&state.pool, &state.store, &token, session, ttl)
        .await
        .map_err(session_unavailable)?;
    Ok(token)
}

fn session_unavailable(e: session::SessionError) -> ApiError {
    tracing::warn!(error = %e, "session store unavailable");
    ApiError::Unavailable("会话服务暂时不可用")
}

const UNAUTHENTICATED: ApiError = ApiError::Unauthorized {
    code: "unauthenticated",
    message: "请先登录（缺少或无效的访问令牌）",
};

impl Caller {
    /// The caller whose session `token` opens (the console reads the token from its cookie).
    pub(crate) async fn from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
        let hash = session::TokenHash::of(token);
        let session = state
            .sessions
            .find(&state.pool, &state.store, &hash)
            .await
            .map_err(session_unavailable)?
            .ok_or(UNAUTHENTICATED)?;
        let session = Session::clone(&session);
        if session.expires_at <= chrono::Utc::now().timestamp() {
            return Err(UNAUTHENTICATED);
        }
        let roles = session
            .roles
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        Ok(Caller {
            session,
            roles,
            token: hash,
        })
    }

    /// Ends this session.
    pub async fn logout(&self, state: &AppState) -> Result<(), ApiError> {
        state
            .sessions
            .end(&state.pool, &state.store, &self.token)
            .await
            .map_err(session_unavailable)
    }

    /// The caller's district, or 403 for platform operators.
    pub fn tenant_id(&self) -> Result<TenantId, ApiError> {
        self.session.tenant_id.ok_or(ApiError::Forbidden)
    }

    /// Refuses with 403 unless one of the caller's roles may do `action` on `resource` in their domain.
    pub fn require(
        &self,
        state: &AppState,
        resource: Resource,
        action: Action,
    ) -> Result<(), ApiError> {
        if state
            .authorizer
            .allows(&self.session.domain, &self.roles, resource, action)
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn may(&self, state: &AppState, resource: Resource, action: Action) -> bool {
        state
            .authorizer
            .allows(&self.session.domain, &self.roles, resource, action)
    }

    /// Full identifiers for callers who may see personal data; masked for everyone else.
    pub fn reveal(&self, state: &AppState) -> Reveal {
        if self.may(state, Resource::FamilyPii, Action::Read) {
            Reveal::Full
        } else {
            Reveal::Masked
        }
    }

    /// The families this caller may see: the widest scope among their roles.
    pub fn family_scope(&self) -> Scope {
        Scope::of(&self.roles, self.session.user_id, self.session.org_unit_id)
    }

    /// How the caller appears in audit records and history.
    pub fn actor(&self) -> String {
        format!("user:{}", self.session.user_id)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Unavailable("service not initialised"))?;
            let token = token.filter(|t| !t.is_empty()).ok_or(UNAUTHENTICATED)?;
            Caller::from_token(&state, &token).await
        })
    }
}

/// The token of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 7235).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Roles a session may carry, as names.
pub fn role_names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_owned()).collect()
}
