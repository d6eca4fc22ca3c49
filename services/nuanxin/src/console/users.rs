//! `/console/users`: the district administrator's accounts page — the accounts with their role and
//! unit, a form to create one, and per account: disable or enable, reset the password.

use actix_web::{web, HttpResponse};
use askama::Template;
use nuanxin_ids::UserId;

use super::session::{Console, Posted};
use super::views::{page, see_other, Frame, PageError};
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::{
    accounts, change_role, create as create_account, reset_password, set_active, AccountView,
    NewAccount, GRANTABLE,
};

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    frame: Frame,
    accounts: Vec<AccountView>,
    roles: Vec<(&'static str, &'static str)>,
    /// (code, name) of every org unit of the district.
    units: Vec<(String, String)>,
    message: &'static str,
}

#[derive(serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /console/users`.
pub async fn users(
    state: web::Data<AppState>,
    console: Console,
    done: web::Query<Done>,
) -> Result<HttpResponse, PageError> {
    let list = accounts(&state, &console.auth).await?;
    page(&UsersPage {
        frame: console.frame(&state, "用户管理", "/console/users"),
        accounts: list,
        roles: GRANTABLE.iter().map(|r| (r.as_str(), r.title())).collect(),
        units: console
            .auth
            .district
            .orgs
            .units()
            .iter()
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        message: match done.done.as_str() {
            "created" => "已创建账号。",
            "disabled" => "已停用账号：该账号不能再登录。",
            "enabled" => "已启用账号。",
            "password" => "已重置密码，请把新密码当面或电话告知本人。",
            "role" => "已修改角色和所在单位：该账号已退出登录，重新登录后按新角色使用。",
            _ => "",
        },
    })
}

/// `POST /console/users`: creates an account.
pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    create_account(
        &state,
        &console.auth,
        NewAccount {
            username: form.get("username").to_owned(),
            display_name: form.get("display_name").to_owned(),
            org_unit: form.get("org_unit").to_owned(),
            role: form.get("role").to_owned(),
            password: form.get("password").to_owned(),
        },
    )
    .await?;
    Ok(see_other("/console/users?done=created"))
}

/// `POST /console/users/{id}`: `action` = `disable`, `enable`, `password` (with `password`) or `role`
/// (with `role` and `org_unit`).
pub async fn change(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<UserId>,
    form: Posted,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let done = match form.get("action") {
        "disable" => {
            set_active(&state, &console.auth, id, false).await?;
            "disabled"
        }
        "enable" => {
            set_active(&state, &console.auth, id, true).await?;
            "enabled"
        }
        "password" => {
            reset_password(&state, &console.auth, id, form.get("password").to_owned()).await?;
            "password"
        }
        "role" => {
            change_role(
                &state,
                &console.auth,
                id,
                form.get("role"),
                form.get("org_unit"),
            )
            .await?;
            "role"
        }
        _ => return Err(ApiError::bad_request("invalid_action", "action", "未知的操作").into()),
    };
    Ok(see_other(&format!("/console/users?done={done}")))
}
