//! A district's accounts, managed by its administrator: list, create (with a role and an org unit),
//! disable or enable, reset a password. Every change is audited in its transaction; a new account's
//! role is a casbin `g` line in `access_rules`, which every node reloads when the rule count changes.
//! Moving an account to another role and unit keeps that count, so it also moves the directory
//! generation; its sessions end at once. Disabling an account ends its open sessions in the same
//! transaction.

use chrono::Utc;
use nuanxin_access::{Action, Resource, Role, RuleLine};
use nuanxin_db::models::access_rule::AccessRule;
use nuanxin_db::models::tenant::Tenant;
use nuanxin_db::models::user::User;
use nuanxin_db::pool::TenantTx;
use nuanxin_ids::UserId;
use serde_json::json;

use crate::audit;
use crate::auth::{password, Authorized};
use crate::error::ApiError;
use crate::state::AppState;

/// An account as the administrator sees it (never its password hash).
pub struct AccountView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub org_unit: String,
    /// The unit's code, to preselect it in a form.
    pub org_unit_code: String,
    pub roles: String,
    /// The first role's code, to preselect it in a form.
    pub role_code: String,
    pub active: bool,
}

/// A new account as the form gives it.
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub org_unit: String,
    pub role: String,
    pub password: String,
}

/// Roles a district administrator may give (never the platform operator's).
pub const GRANTABLE: [Role; 6] = [
    Role::DistrictAdmin,
    Role::BureauStaff,
    Role::StreetStaff,
    Role::CommunityWorker,
    Role::SocialOrgStaff,
    Role::Volunteer,
];

/// Shortest password an administrator may set.
const MIN_PASSWORD: usize = 12;

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid", field, message)
}

/// A username as typed, trimmed: 2 to 32 lowercase letters, digits or `._-`.
pub(crate) fn checked_username(typed: &str) -> Result<String, ApiError> {
    let username = typed.trim();
    let valid = (2..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !valid {
        return Err(invalid("username", "用户名应为2到32个小写字母、数字或._-"));
    }
    Ok(username.to_owned())
}

/// A person's name as typed, trimmed: 1 to 40 characters.
pub(crate) fn checked_display_name(typed: &str) -> Result<String, ApiError> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(invalid("display_name", "姓名应为1到40个字"));
    }
    Ok(name.to_owned())
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(invalid("password", format!("密码至少{MIN_PASSWORD}个字符")));
    }
    Ok(())
}

/// The district's accounts.
pub async fn accounts(state: &AppState, auth: &Authorized) -> Result<Vec<AccountView>, ApiError> {
    auth.require(Resource::User, Action::Manage)?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    let users = User::list(&mut tx).await?;
    tx.commit().await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let held = state
                .authorizer
                .roles_of(&district.slug, &format!("user:{}", u.id));
            let roles = held
                .iter()
                .map(|r| r.title())
                .collect::<Vec<_>>()
                .join("、");
            AccountView {
                org_unit: district.orgs.name_of(u.org_unit_id).to_owned(),
                org_unit_code: district
                    .orgs
                    .get(u.org_unit_id)
                    .map_or_else(String::new, |o| o.code.clone()),
                role_code: held
                    .first()
                    .map_or_else(String::new, |r| r.as_str().to_owned()),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                roles,
                active: u.active,
            }
        })
        .collect())
}

/// Creates an account with its role and org unit; its id.
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    new: NewAccount,
) -> Result<UserId, ApiError> {
    auth.require(Resource::User, Action::Manage)?;
    let district = &auth.district;
    let username = checked_username(&new.username)?;
    let display_name = checked_display_name(&new.display_name)?;
    let role = GRANTABLE
        .into_iter()
        .find(|r| r.as_str() == new.role)
        .ok_or_else(|| invalid("role", "请选择角色"))?;
    let unit = district
        .orgs
        .by_code(new.org_unit.trim())
        .ok_or_else(|| invalid("org_unit", "请选择所在单位"))?;
    check_password(&new.password)?;
    let hash = password::hash_blocking(new.password)
        .await
        .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    let id = UserId::generate();
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    if User::by_username(&mut tx, &username).await?.is_some() {
        return Err(ApiError::Conflict {
            code: "username_taken",
            message: format!("用户名“{username}”已被使用"),
        });
    }
    User {
        tenant_id: district.id,
        id,
        username: username.clone(),
        display_name,
        email: None,
        password_hash: hash,
        org_unit_id: unit.id,
        active: true,
        created_at: Utc::now(),
    }
    .insert(&mut tx)
    .await?;
    let line = RuleLine::assignment(&district.slug, &format!("user:{id}"), role);
    AccessRule::insert_missing(
        &mut tx,
        &[AccessRule::from_values(&line.ptype, &line.values)],
    )
    .await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "user.create",
        "user",
        &id.to_string(),
        json!({"role": role.as_str(), "org_unit": unit.code}),
    )
    .await?;
    tx.commit().await?;
    // This node at once; the others when they next compare the rule count.
    state
        .authorizer
        .assign_role(&district.slug, &format!("user:{id}"), role)
        .await
        .map_err(ApiError::internal)?;
    Ok(id)
}

/// Disables or enables an account (a disabled account cannot sign in).
pub async fn set_active(
    state: &AppState,
    auth: &Authorized,
    id: UserId,
    active: bool,
) -> Result<(), ApiError> {
    auth.require(Resource::User, Action::Manage)?;
    if id == auth.caller.session.user_id && !active {
        return Err(invalid("id", "不能停用自己的账号"));
    }
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    if !User::set_active(&mut tx, id, active).await? {
        return Err(ApiError::NotFound("没有找到该账号"));
    }
    // A disabled account is signed out everywhere at once, not when its sessions lapse.
    let ended = match active {
        true => Vec::new(),
        false => nuanxin_db::models::session::end_of_user(&mut tx, id).await?,
    };
    let action = if active {
        "user.enable"
    } else {
        "user.disable"
    };
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        action,
        "user",
        &id.to_string(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_ended(&state.store, ended).await;
    Ok(())
}

/// Gives an account another role and org unit. Its open sessions end at once (a session carries the
/// roles and unit it was opened with); this node applies the new rules now, the others when they see
/// the directory's generation move (within their reload period).
pub async fn change_role(
    state: &AppState,
    auth: &Authorized,
    id: UserId,
    role: &str,
    org_unit: &str,
) -> Result<(), ApiError> {
    auth.require(Resource::User, Action::Manage)?;
    if id == auth.caller.session.user_id {
        return Err(invalid(
            "role",
            "不能修改自己的角色：请由本区另一位管理员修改",
        ));
    }
    let role = GRANTABLE
        .into_iter()
        .find(|r| r.as_str() == role)
        .ok_or_else(|| invalid("role", "请选择角色"))?;
    let district = &auth.district;
    let unit = district
        .orgs
        .by_code(org_unit.trim())
        .ok_or_else(|| invalid("org_unit", "请选择所在单位"))?;
    let subject = format!("user:{id}");
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    if !User::set_org_unit(&mut tx, id, unit.id).await? {
        return Err(ApiError::NotFound("没有找到该账号"));
    }
    AccessRule::remove_assignments(&mut tx, &subject, &district.slug).await?;
    let line = RuleLine::assignment(&district.slug, &subject, role);
    AccessRule::insert_missing(
        &mut tx,
        &[AccessRule::from_values(&line.ptype, &line.values)],
    )
    .await?;
    let ended = nuanxin_db::models::session::end_of_user(&mut tx, id).await?;
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "user.change_role",
        "user",
        &id.to_string(),
        json!({"role": role.as_str(), "org_unit": unit.code}),
    )
    .await?;
    Tenant::directory_changed(&mut tx).await?;
    tx.commit().await?;
    state.sessions.forget_ended(&state.store, ended).await;
    let rules = crate::onboarding::load_rules(&state.pool)
        .await
        .map_err(ApiError::internal)?;
    state
        .authorizer
        .replace_rules(rules)
        .await
        .map_err(ApiError::internal)?;
    Ok(())
}

/// Sets a new password for an account.
pub async fn reset_password(
    state: &AppState,
    auth: &Authorized,
    id: UserId,
    new_password: String,
) -> Result<(), ApiError> {
    auth.require(Resource::User, Action::Manage)?;
    check_password(&new_password)?;
    let hash = password::hash_blocking(new_password)
        .await
        .map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    let district = &auth.district;
    let mut tx = TenantTx::begin(&state.pool, district.id).await?;
    if !User::set_password(&mut tx, id, &hash).await? {
        return Err(ApiError::NotFound("没有找到该账号"));
    }
    audit::record(
        &tx,
        district.id,
        &auth.actor,
        "user.reset_password",
        "user",
        &id.to_string(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
