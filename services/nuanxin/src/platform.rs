//! What the platform operator does: see the districts configured in the tenants folder that are not
//! onboarded yet (with what stops each, checked as onboarding will), and onboard one with its first
//! administrator. Never any family data: the operator's only resource is the tenant.

use nuanxin_access::{Action, Resource};
use nuanxin_ids::{TenantId, UserId};
use rand::Rng;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::{password, Caller};
use crate::error::ApiError;
use crate::onboarding::{self, FirstAdministrator, OnboardingError};
use crate::state::AppState;
use crate::users;

/// A district folder that is not onboarded yet.
#[derive(Debug, Serialize)]
pub struct ConfiguredDistrict {
    pub slug: String,
    /// The manifest's name, when the manifest reads.
    pub name: Option<String>,
    /// What onboarding would refuse (`file:line: problem`); none when it can be onboarded.
    pub problem: Option<String>,
}

/// The district folders the service does not serve yet, checked as onboarding would check them.
pub fn configured(state: &AppState, caller: &Caller) -> Result<Vec<ConfiguredDistrict>, ApiError> {
    caller.require(state, Resource::Tenant, Action::List)?;
    let dir = onboarding::tenants_dir(&state.settings.application.tenants_dir);
    let served = state.districts.all();
    Ok(onboarding::tenant_slugs(&dir)
        .into_iter()
        .filter(|slug| !served.iter().any(|d| &d.slug == slug))
        .map(|slug| {
            let name = onboarding::read_manifest(&dir, &slug).ok().map(|m| m.name);
            let problem = onboarding::check(&dir, &slug).err().map(|e| e.to_string());
            ConfiguredDistrict {
                slug,
                name,
                problem,
            }
        })
        .collect())
}

/// A district to onboard and who will administer it.
pub struct NewDistrict {
    pub slug: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
}

/// An onboarded district. The initial password is shown once, to be handed to the administrator, who
/// changes it; it is stored only as its hash.
#[derive(Debug, Serialize)]
pub struct Onboarded {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub username: String,
    pub initial_password: String,
}

/// Onboards a configured district with its first administrator, then serves it on this node at once
/// (the others follow the directory generation within their reload period).
pub async fn onboard(
    state: &AppState,
    caller: &Caller,
    request_id: Option<String>,
    new: NewDistrict,
) -> Result<Onboarded, ApiError> {
    caller.require(state, Resource::Tenant, Action::Create)?;
    let slug = new.slug.trim().to_owned();
    let username = users::checked_username(&new.username)?;
    let display_name = users::checked_display_name(&new.display_name)?;
    let email = match new.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e)
            if e.len() <= 254
                && e.split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.')) =>
        {
            Some(e.to_owned())
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid",
                "email",
                "电子邮箱格式不正确",
            ));
        }
    };
    let dir = onboarding::tenants_dir(&state.settings.application.tenants_dir);
    if !onboarding::tenant_slugs(&dir).contains(&slug) {
        return Err(ApiError::NotFound("没有这个辖区的配置目录"));
    }
    let initial_password = initial_password();
    let admin = FirstAdministrator {
        id: UserId::generate(),
        username: username.clone(),
        display_name,
        email,
        password_hash: password::hash_blocking(initial_password.clone())
            .await
            .map_err(|e| ApiError::internal(std::io::Error::other(e)))?,
    };
    let actor = Actor {
        user_id: caller.session.user_id,
        name: String::new(),
        actor: format!("operator:{}", caller.session.user_id),
        request_id,
    };
    let id = onboarding::onboard_new(&state.pool, &dir, &slug, &admin, |tenant| {
        audit::event(
            tenant,
            &actor,
            "tenant.onboard",
            "tenant",
            &tenant.to_string(),
            json!({"slug": slug, "administrator": admin.id}),
        )
    })
    .await
    .map_err(|e| match e {
        OnboardingError::AlreadyOnboarded(_) => ApiError::Conflict {
            code: "already_onboarded",
            message: "该辖区已接入".into(),
        },
        OnboardingError::Manifest { .. } | OnboardingError::Missing(_) => {
            ApiError::bad_request("invalid_configuration", "slug", e.to_string())
        }
        OnboardingError::Database(_) => ApiError::internal(e),
    })?;
    let districts = onboarding::load_districts(&state.pool, &dir)
        .await
        .map_err(ApiError::internal)?;
    state.districts.replace(districts);
    state
        .authorizer
        .replace_rules(
            onboarding::load_rules(&state.pool)
                .await
                .map_err(ApiError::internal)?,
        )
        .await
        .map_err(ApiError::internal)?;
    let name = state
        .districts
        .by_slug(&slug)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    Ok(Onboarded {
        id,
        slug,
        name,
        username,
        initial_password,
    })
}

/// 16 characters from an alphabet without look-alikes (0/O, 1/l/I), about 90 bits.
fn initial_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
