//! casbin policy lines (`p` role permissions and `g` role assignments), kept in PostgreSQL.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::access_rules;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_rules)]
pub struct AccessRule {
    pub ptype: String,
    pub v0: String,
    pub v1: String,
    pub v2: String,
    pub v3: String,
    pub v4: String,
    pub v5: String,
}

impl AccessRule {
    /// Builds a row from a casbin line; missing trailing values are empty.
    pub fn from_values(ptype: &str, values: &[String]) -> AccessRule {
        let v = |i: usize| values.get(i).cloned().unwrap_or_default();
        AccessRule {
            ptype: ptype.to_owned(),
            v0: v(0),
            v1: v(1),
            v2: v(2),
            v3: v(3),
            v4: v(4),
            v5: v(5),
        }
    }

    /// The non-empty values, in order, as casbin wants them.
    pub fn values(&self) -> Vec<String> {
        [&self.v0, &self.v1, &self.v2, &self.v3, &self.v4, &self.v5]
            .into_iter()
            .take_while(|v| !v.is_empty())
            .cloned()
            .collect()
    }

    pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<AccessRule>> {
        access_rules::table
            .select(AccessRule::as_select())
            .load(conn)
            .await
    }

    /// The role subjects (`role:street_staff`) `user` holds in district `domain`, as stored now: sign-in
    /// reads them here, so a changed role holds at the next sign-in on every node at once.
    pub async fn roles_of(
        conn: &mut AsyncPgConnection,
        user: &str,
        domain: &str,
    ) -> QueryResult<Vec<String>> {
        access_rules::table
            .filter(access_rules::ptype.eq("g"))
            .filter(access_rules::v0.eq(user))
            .filter(access_rules::v2.eq(domain))
            .select(access_rules::v1)
            .order(access_rules::v1)
            .load(conn)
            .await
    }

    /// Removes every role of `user` (a `g` line's subject) in district `domain`; how many lines went.
    pub async fn remove_assignments(
        conn: &mut AsyncPgConnection,
        user: &str,
        domain: &str,
    ) -> QueryResult<usize> {
        diesel::delete(
            access_rules::table
                .filter(access_rules::ptype.eq("g"))
                .filter(access_rules::v0.eq(user))
                .filter(access_rules::v2.eq(domain)),
        )
        .execute(conn)
        .await
    }

    /// Inserts lines that are not there yet.
    pub async fn insert_missing(
        conn: &mut AsyncPgConnection,
        rules: &[AccessRule],
    ) -> QueryResult<usize> {
        diesel::insert_into(access_rules::table)
            .values(rules)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
    }
}
