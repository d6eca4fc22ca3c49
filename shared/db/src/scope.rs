//! The one place a caller's [`Scope`] becomes SQL: every query of family data filters through
//! [`in_scope`], so a street's, a community's or an organization's bounds are written once.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use nuanxin_access::Scope;

/// How a table reaches its family: the table, its family id column, and its own street column where it
/// keeps one (a ledger entry's street is the street that verifies it).
#[derive(Debug, Clone, Copy)]
pub struct FamilyColumns {
    pub table: &'static str,
    pub family_id: &'static str,
    pub street_id: Option<&'static str>,
}

/// The families table itself.
pub const FAMILIES: FamilyColumns = FamilyColumns {
    table: "families",
    family_id: "id",
    street_id: Some("street_id"),
};

/// A filter: the rows of `of` whose family is in `scope` (row-level security has already narrowed
/// every query to the caller's district).
pub fn in_scope<QS>(
    scope: Scope,
    of: FamilyColumns,
) -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
    let equals = |(head, tail): (String, &'static str),
                  id|
     -> Box<dyn BoxableExpression<QS, Pg, SqlType = Bool>> {
        Box::new(sql::<Bool>(&head).bind::<SqlUuid, _>(id).sql(tail))
    };
    match scope {
        Scope::District => Box::new(sql::<Bool>("true")),
        Scope::Nothing => Box::new(sql::<Bool>("false")),
        Scope::Street(street) => match of.street_id {
            Some(column) => equals((format!("{}.{column} = ", of.table), ""), street),
            None => equals(family_column(of, "street_id"), street),
        },
        Scope::Community(community) => equals(family_column(of, "community_id"), community),
        Scope::Assigned { user, org_unit } => {
            let head = format!(
                "EXISTS (SELECT 1 FROM family_assignments a WHERE a.tenant_id = {t}.tenant_id \
                 AND a.family_id = {t}.{f} AND (a.ends_at IS NULL OR a.ends_at > now()) \
                 AND (a.user_id = ",
                t = of.table,
                f = of.family_id
            );
            let by_user = sql::<Bool>(&head).bind::<SqlUuid, _>(user);
            match org_unit {
                Some(unit) => Box::new(
                    by_user
                        .sql(" OR a.org_unit_id = ")
                        .bind::<SqlUuid, _>(unit)
                        .sql("))"),
                ),
                None => Box::new(by_user.sql("))")),
            }
        }
    }
}

/// SQL before and after a bound id for "the row's family has `column` = id".
fn family_column(of: FamilyColumns, column: &str) -> (String, &'static str) {
    if of.table == FAMILIES.table {
        (format!("families.{column} = "), "")
    } else {
        (
            format!(
                "EXISTS (SELECT 1 FROM families f WHERE f.tenant_id = {t}.tenant_id \
                 AND f.id = {t}.{f} AND f.{column} = ",
                t = of.table,
                f = of.family_id
            ),
            ")",
        )
    }
}
