//! Signing in: the session a correct password opens (district staff by their district's users and
//! roles as stored now, platform operators by their own table), and opening it for the configured
//! lifetime. The API's login and the console's sign-in form both come here, after their throttles.

use nuanxin_ids::UserId;
use std::time::Duration;

use nuanxin_db::models::access_rule::AccessRule;
use nuanxin_db::models::tenant::PlatformOperator;
use nuanxin_db::models::user::User;
use nuanxin_db::pool::TenantTx;
use serde::Deserialize;

use super::{open_session, password, role_names, Session, PLATFORM_DOMAIN};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A district slug, or `platform` for platform operators.
    pub tenant: String,
    pub username: String,
    pub password: String,
}

/// The session a correct password opens, or None (the console's sign-in form uses it too).
pub async fn authenticate(
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
            user_id: UserId::from_uuid(operator.id),
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
pub async fn begin_session(
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
