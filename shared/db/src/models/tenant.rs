//! Districts (tenants) and platform operators: platform-level rows, not under row-level security.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::TenantId;
use uuid::Uuid;

use crate::schema::{platform_operators, tenants};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl Tenant {
    pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Tenant>> {
        tenants::table
            .order(tenants::slug)
            .select(Tenant::as_select())
            .load(conn)
            .await
    }

    pub async fn by_slug(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<Option<Tenant>> {
        tenants::table
            .filter(tenants::slug.eq(slug))
            .select(Tenant::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// What a running service compares to know it must reload districts and access rules: how many
    /// districts and rules there are (onboarding, a new account) and the directory's generation (a change
    /// that keeps those counts, taken by [`Tenant::directory_changed`]). Cheap to ask.
    pub async fn directory_version(conn: &mut AsyncPgConnection) -> QueryResult<DirectoryVersion> {
        diesel::sql_query(
            "SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM access_rules) AS rules, \
                    (SELECT last_value + is_called::int FROM directory_generation) AS generation",
        )
        .get_result(conn)
        .await
    }

    /// Marks the directory changed, so that every node reloads it within its reload period.
    pub async fn directory_changed(conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::sql_query("SELECT nextval('directory_generation')")
            .execute(conn)
            .await
            .map(drop)
    }

    /// Inserts a new tenant; false when its slug exists already (nothing written then).
    pub async fn insert_new(conn: &mut AsyncPgConnection, new: &Tenant) -> QueryResult<bool> {
        diesel::insert_into(tenants::table)
            .values(new)
            .on_conflict(tenants::slug)
            .do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// Inserts the tenant unless its slug exists; returns the stored row either way.
    pub async fn ensure(conn: &mut AsyncPgConnection, new: &Tenant) -> QueryResult<Tenant> {
        diesel::insert_into(tenants::table)
            .values(new)
            .on_conflict(tenants::slug)
            .do_nothing()
            .execute(conn)
            .await?;
        tenants::table
            .filter(tenants::slug.eq(&new.slug))
            .select(Tenant::as_select())
            .first(conn)
            .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = platform_operators)]
pub struct PlatformOperator {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

impl PlatformOperator {
    pub async fn by_username(
        conn: &mut AsyncPgConnection,
        username: &str,
    ) -> QueryResult<Option<PlatformOperator>> {
        platform_operators::table
            .filter(platform_operators::username.eq(username))
            .select(PlatformOperator::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn ensure(conn: &mut AsyncPgConnection, new: &PlatformOperator) -> QueryResult<()> {
        diesel::insert_into(platform_operators::table)
            .values(new)
            .on_conflict(platform_operators::username)
            .do_nothing()
            .execute(conn)
            .await
            .map(drop)
    }
}

/// See [`Tenant::directory_version`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct DirectoryVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub tenants: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub rules: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub generation: i64,
}
