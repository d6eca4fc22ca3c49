//! Districts (tenants) and platform operators: platform-level rows, not under row-level security.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{platform_operators, tenants};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: Uuid,
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

    /// How many districts and access rules there are: cheap to ask, and it changes when a district is
    /// onboarded or a role assigned, which is when a running service must reload them.
    pub async fn directory_version(conn: &mut AsyncPgConnection) -> QueryResult<(i64, i64)> {
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            tenants: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            rules: i64,
        }
        let v: Version = diesel::sql_query(
            "SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM access_rules) AS rules",
        )
        .get_result(conn)
        .await?;
        Ok((v.tenants, v.rules))
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
