//! The family registry: families, their parents and contact persons, and the version history.
//!
//! Personal identifiers arrive here already encrypted (`*_enc`) with their keyed hash (`*_hash`);
//! this crate never sees them in the clear.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::exists;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::{contact_persons, families, family_changes, family_members};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = families, treat_none_as_null = true)]
pub struct FamilyRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub hukou_district: String,
    pub street_id: Uuid,
    pub community_id: Uuid,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub child_died_on: Option<NaiveDate>,
    pub child_disability_grade: Option<i16>,
    pub child_certified_on: Option<NaiveDate>,
    pub monthly_income_per_capita_cny: i64,
    pub prior_year_total_income_cny: i64,
    pub assisted_reproduction_birth_on: Option<NaiveDate>,
    pub status: String,
    pub exit_reason: Option<String>,
    pub exit_note: Option<String>,
    pub exited_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = family_members)]
pub struct MemberRow {
    pub tenant_id: Uuid,
    pub family_id: Uuid,
    pub role: String,
    pub name: String,
    pub resident_id_enc: Vec<u8>,
    pub resident_id_hash: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub birth_date: NaiveDate,
    pub alive: bool,
    pub self_care: String,
    pub sanwu: bool,
    pub care: String,
    pub nursing_home_in_district: bool,
    pub major_illness_hospitalized_on: Option<NaiveDate>,
    pub out_of_pocket_medical_cny: i64,
    pub fertility_treatment_since: Option<NaiveDate>,
    pub wants_home_services: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_persons)]
pub struct ContactRow {
    pub tenant_id: Uuid,
    pub family_id: Uuid,
    pub position: i16,
    pub name: String,
    pub category: String,
    pub phone_enc: Option<Vec<u8>>,
}

/// A family with its parents and contact persons, as stored.
#[derive(Debug, Clone)]
pub struct FamilyRecord {
    pub family: FamilyRow,
    pub members: Vec<MemberRow>,
    pub contacts: Vec<ContactRow>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = family_changes)]
pub struct FamilyChange {
    pub tenant_id: Uuid,
    pub family_id: Uuid,
    pub version: i32,
    pub changed_at: DateTime<Utc>,
    pub actor_id: Uuid,
    pub actor_name: String,
    pub action: String,
    pub changes: serde_json::Value,
}

/// Which families of the district a caller may see (row-level security already limits the district).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyScope {
    District,
    Street(Uuid),
    Community(Uuid),
    /// Roles that reach families only through assigned tasks see none here.
    Nothing,
}

/// List filters; birth-date bounds express an age band of a living parent.
#[derive(Debug, Clone, Default)]
pub struct FamilyFilter {
    pub street_id: Option<Uuid>,
    pub community_id: Option<Uuid>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub parent_born_on_or_before: Option<NaiveDate>,
    pub parent_born_after: Option<NaiveDate>,
    pub limit: i64,
    pub offset: i64,
}

type BoxedFamilies<'a> = families::BoxedQuery<'a, Pg>;

fn scoped(scope: FamilyScope) -> BoxedFamilies<'static> {
    let query = families::table.into_boxed();
    match scope {
        FamilyScope::District => query,
        FamilyScope::Street(street) => query.filter(families::street_id.eq(street)),
        FamilyScope::Community(community) => query.filter(families::community_id.eq(community)),
        FamilyScope::Nothing => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("false")),
    }
}

fn filtered(scope: FamilyScope, filter: &FamilyFilter) -> BoxedFamilies<'static> {
    let mut query = scoped(scope);
    if let Some(street) = filter.street_id {
        query = query.filter(families::street_id.eq(street));
    }
    if let Some(community) = filter.community_id {
        query = query.filter(families::community_id.eq(community));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(families::kind.eq(kind.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(families::status.eq(status.clone()));
    }
    if filter.parent_born_on_or_before.is_some() || filter.parent_born_after.is_some() {
        // Open ends as dates PostgreSQL can hold (chrono's MIN/MAX are outside its range).
        let latest = filter
            .parent_born_on_or_before
            .or(NaiveDate::from_ymd_opt(9999, 12, 31));
        let earliest = filter
            .parent_born_after
            .or(NaiveDate::from_ymd_opt(1000, 1, 1));
        let (Some(latest), Some(earliest)) = (latest, earliest) else {
            return query;
        };
        query = query.filter(exists(
            family_members::table
                .filter(family_members::tenant_id.eq(families::tenant_id))
                .filter(family_members::family_id.eq(families::id))
                .filter(family_members::alive)
                .filter(family_members::birth_date.le(latest))
                .filter(family_members::birth_date.gt(earliest)),
        ));
    }
    query
}

impl FamilyRecord {
    /// Loads one family if it is inside `scope`. The three reads are pipelined (one round trip) and each
    /// is a fixed query shape, so the connection's prepared-statement cache serves them (a boxed query
    /// would be prepared anew every time).
    pub async fn find(
        conn: &AsyncPgConnection,
        scope: FamilyScope,
        id: Uuid,
    ) -> QueryResult<Option<FamilyRecord>> {
        use futures_util::future::BoxFuture;
        use futures_util::FutureExt;
        let one = families::table
            .filter(families::id.eq(id))
            .select(FamilyRow::as_select());
        let family: BoxFuture<'_, QueryResult<Vec<FamilyRow>>> = match scope {
            FamilyScope::District => one.load(&mut &*conn).boxed(),
            FamilyScope::Street(street) => one
                .filter(families::street_id.eq(street))
                .load(&mut &*conn)
                .boxed(),
            FamilyScope::Community(c) => one
                .filter(families::community_id.eq(c))
                .load(&mut &*conn)
                .boxed(),
            FamilyScope::Nothing => return Ok(None),
        };
        let members = family_members::table
            .filter(family_members::family_id.eq(id))
            .order(family_members::role.desc())
            .select(MemberRow::as_select())
            .load::<MemberRow>(&mut &*conn);
        let contacts = contact_persons::table
            .filter(contact_persons::family_id.eq(id))
            .order(contact_persons::position)
            .select(ContactRow::as_select())
            .load::<ContactRow>(&mut &*conn);
        let (mut family, members, contacts) = tokio::try_join!(family, members, contacts)?;
        Ok(family.pop().map(|family| FamilyRecord {
            family,
            members,
            contacts,
        }))
    }

    /// One page of the families in `scope` that match `filter`, newest first, and the total count.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: FamilyScope,
        filter: &FamilyFilter,
    ) -> QueryResult<(Vec<FamilyRecord>, i64)> {
        let total = Self::count(conn, scope, filter).await?;
        Ok((Self::page(conn, scope, filter).await?, total))
    }

    /// How many families in `scope` match `filter` (pagination ignored).
    pub async fn count(
        conn: &mut AsyncPgConnection,
        scope: FamilyScope,
        filter: &FamilyFilter,
    ) -> QueryResult<i64> {
        filtered(scope, filter).count().get_result(conn).await
    }

    /// One page (`filter.limit`, `filter.offset`) of the families in `scope` matching `filter`, newest first.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        scope: FamilyScope,
        filter: &FamilyFilter,
    ) -> QueryResult<Vec<FamilyRecord>> {
        let rows = filtered(scope, filter)
            .order((families::created_at.desc(), families::id))
            .limit(filter.limit)
            .offset(filter.offset)
            .select(FamilyRow::as_select())
            .load(conn)
            .await?;
        Self::attach(conn, rows).await
    }

    /// Every family in `scope` matching `filter` (for export), in a stable order.
    pub async fn all(
        conn: &mut AsyncPgConnection,
        scope: FamilyScope,
        filter: &FamilyFilter,
    ) -> QueryResult<Vec<FamilyRecord>> {
        let rows = filtered(scope, filter)
            .order((families::street_id, families::created_at, families::id))
            .select(FamilyRow::as_select())
            .load(conn)
            .await?;
        Self::attach(conn, rows).await
    }

    async fn attach(
        conn: &mut AsyncPgConnection,
        rows: Vec<FamilyRow>,
    ) -> QueryResult<Vec<FamilyRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|f| f.id).collect();
        let mut members = family_members::table
            .filter(family_members::family_id.eq_any(&ids))
            .order((family_members::family_id, family_members::role.desc()))
            .select(MemberRow::as_select())
            .load(conn)
            .await?;
        let mut contacts = contact_persons::table
            .filter(contact_persons::family_id.eq_any(&ids))
            .order((contact_persons::family_id, contact_persons::position))
            .select(ContactRow::as_select())
            .load(conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|family| {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    members.drain(..).partition(|m| m.family_id == family.id);
                members = rest;
                let (my_contacts, rest): (Vec<_>, Vec<_>) =
                    contacts.drain(..).partition(|c| c.family_id == family.id);
                contacts = rest;
                FamilyRecord {
                    family,
                    members: mine,
                    contacts: my_contacts,
                }
            })
            .collect())
    }

    /// Inserts a new family with its parents and contacts.
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(families::table)
            .values(&self.family)
            .execute(conn)
            .await?;
        self.insert_children(conn).await
    }

    /// Inserts many families in few statements (imports).
    pub async fn insert_many(
        conn: &mut AsyncPgConnection,
        records: &[FamilyRecord],
    ) -> QueryResult<()> {
        // PostgreSQL takes at most 65,535 bind parameters per statement.
        for chunk in records.chunks(1000) {
            let families: Vec<&FamilyRow> = chunk.iter().map(|r| &r.family).collect();
            let members: Vec<&MemberRow> = chunk.iter().flat_map(|r| &r.members).collect();
            let contacts: Vec<&ContactRow> = chunk.iter().flat_map(|r| &r.contacts).collect();
            diesel::insert_into(families::table)
                .values(families)
                .execute(conn)
                .await?;
            for part in members.chunks(2000) {
                diesel::insert_into(family_members::table)
                    .values(part.to_vec())
                    .execute(conn)
                    .await?;
            }
            for part in contacts.chunks(5000) {
                diesel::insert_into(contact_persons::table)
                    .values(part.to_vec())
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Replaces the stored family with this one if the stored version is `expected_version`;
    /// returns false (and changes nothing) when someone else changed it first.
    pub async fn replace(
        &self,
        conn: &mut AsyncPgConnection,
        expected_version: i32,
    ) -> QueryResult<bool> {
        let updated = diesel::update(families::table)
            .filter(families::id.eq(self.family.id))
            .filter(families::version.eq(expected_version))
            .set(&self.family)
            .execute(conn)
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        diesel::delete(family_members::table.filter(family_members::family_id.eq(self.family.id)))
            .execute(conn)
            .await?;
        diesel::delete(
            contact_persons::table.filter(contact_persons::family_id.eq(self.family.id)),
        )
        .execute(conn)
        .await?;
        self.insert_children(conn).await?;
        Ok(true)
    }

    async fn insert_children(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(family_members::table)
            .values(&self.members)
            .execute(conn)
            .await?;
        diesel::insert_into(contact_persons::table)
            .values(&self.contacts)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Which of these keyed hashes of resident IDs are already registered in the district,
    /// other than by `except_family`.
    pub async fn registered_resident_hashes(
        conn: &mut AsyncPgConnection,
        hashes: &[Vec<u8>],
        except_family: Option<Uuid>,
    ) -> QueryResult<Vec<Vec<u8>>> {
        let mut query = family_members::table
            .filter(family_members::resident_id_hash.eq_any(hashes))
            .select(family_members::resident_id_hash)
            .into_boxed();
        if let Some(id) = except_family {
            query = query.filter(family_members::family_id.ne(id));
        }
        query.load(conn).await
    }
}

impl FamilyChange {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(family_changes::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn insert_many(
        conn: &mut AsyncPgConnection,
        changes: &[FamilyChange],
    ) -> QueryResult<()> {
        for chunk in changes.chunks(5000) {
            diesel::insert_into(family_changes::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// The history of one family, oldest first.
    pub async fn of_family(
        conn: &mut AsyncPgConnection,
        family_id: Uuid,
    ) -> QueryResult<Vec<FamilyChange>> {
        family_changes::table
            .filter(family_changes::family_id.eq(family_id))
            .order(family_changes::version)
            .select(FamilyChange::as_select())
            .load(conn)
            .await
    }
}
