//! Org units of a district: the office, bureaus, streets/towns, communities/villages, social organizations.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::{OrgUnitId, TenantId};

use crate::schema::org_units;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = org_units)]
pub struct OrgUnit {
    pub tenant_id: TenantId,
    pub id: OrgUnitId,
    pub kind: nuanxin_domain::org::OrgKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<OrgUnitId>,
}

impl OrgUnit {
    pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<OrgUnit>> {
        org_units::table
            .order((org_units::kind, org_units::code))
            .select(OrgUnit::as_select())
            .load(conn)
            .await
    }

    /// Inserts units whose code is new; existing ones are left as they are.
    pub async fn insert_missing(
        conn: &mut AsyncPgConnection,
        units: &[OrgUnit],
    ) -> QueryResult<usize> {
        diesel::insert_into(org_units::table)
            .values(units)
            .on_conflict((org_units::tenant_id, org_units::code))
            .do_nothing()
            .execute(conn)
            .await
    }
}
