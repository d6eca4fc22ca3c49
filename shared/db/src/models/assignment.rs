//! Households given to a person or an organization by their work (`Scope::Assigned` reads these).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::{FamilyId, OrgUnitId, TenantId, UserId};
use uuid::Uuid;

use crate::schema::family_assignments;

/// Access to one family for as long as a piece of work lasts.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = family_assignments)]
pub struct NewAssignment {
    pub tenant_id: TenantId,
    /// `task`, `pairing`, `release`, `contact`.
    pub source: &'static str,
    pub source_id: Uuid,
    pub family_id: FamilyId,
    pub user_id: Option<UserId>,
    pub org_unit_id: Option<OrgUnitId>,
}

impl NewAssignment {
    /// Gives the access (again, if it had ended).
    pub async fn grant(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(family_assignments::table)
            .values(self)
            .on_conflict((
                family_assignments::tenant_id,
                family_assignments::source,
                family_assignments::source_id,
                family_assignments::family_id,
            ))
            .do_update()
            .set((
                family_assignments::user_id.eq(self.user_id),
                family_assignments::org_unit_id.eq(self.org_unit_id),
                family_assignments::ends_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await
            .map(drop)
    }
}

/// Ends every access a piece of work gave, from `at` on.
pub async fn end_assignments(
    conn: &mut AsyncPgConnection,
    source: &str,
    source_id: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        family_assignments::table
            .filter(family_assignments::source.eq(source))
            .filter(family_assignments::source_id.eq(source_id))
            .filter(family_assignments::ends_at.is_null()),
    )
    .set(family_assignments::ends_at.eq(Some(at)))
    .execute(conn)
    .await
}
