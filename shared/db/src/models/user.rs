//! Accounts of a district's staff, social organizations and volunteers.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::{OrgUnitId, TenantId, UserId};

use crate::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub org_unit_id: OrgUnitId,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub async fn by_username(
        conn: &mut AsyncPgConnection,
        username: &str,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Inserts the user unless the username exists; returns the stored row.
    pub async fn ensure(conn: &mut AsyncPgConnection, new: &User) -> QueryResult<User> {
        diesel::insert_into(users::table)
            .values(new)
            .on_conflict((users::tenant_id, users::username))
            .do_nothing()
            .execute(conn)
            .await?;
        users::table
            .filter(users::username.eq(&new.username))
            .select(User::as_select())
            .first(conn)
            .await
    }

    /// Every account of the tenant, by username.
    pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<User>> {
        users::table
            .order(users::username)
            .select(User::as_select())
            .load(conn)
            .await
    }

    /// Inserts a new account (a taken username is a unique violation).
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(users::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// Enables or disables an account; whether it existed.
    pub async fn set_active(
        conn: &mut AsyncPgConnection,
        id: UserId,
        active: bool,
    ) -> QueryResult<bool> {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set(users::active.eq(active))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }

    /// Moves an account to another org unit; whether it existed.
    pub async fn set_org_unit(
        conn: &mut AsyncPgConnection,
        id: UserId,
        org_unit: OrgUnitId,
    ) -> QueryResult<bool> {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set(users::org_unit_id.eq(org_unit))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }

    /// Replaces an account's password hash; whether it existed.
    pub async fn set_password(
        conn: &mut AsyncPgConnection,
        id: UserId,
        password_hash: &str,
    ) -> QueryResult<bool> {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set(users::password_hash.eq(password_hash))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }

    /// E-mail addresses of the active users of an org unit (for notifications).
    pub async fn emails_of_org_unit(
        conn: &mut AsyncPgConnection,
        org_unit_id: OrgUnitId,
    ) -> QueryResult<Vec<String>> {
        users::table
            .filter(users::org_unit_id.eq(org_unit_id))
            .filter(users::active)
            .filter(users::email.is_not_null())
            .select(users::email.assume_not_null())
            .load(conn)
            .await
    }
}
