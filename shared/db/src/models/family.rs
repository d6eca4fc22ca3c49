//! The family registry: families, their parents and contact persons, and the version history.
//!
//! Personal identifiers arrive here already encrypted (`*_enc`) with their keyed hash (`*_hash`);
//! this crate never sees them in the clear.

pub use nuanxin_access::Scope;

use crate::scope::{in_scope, FAMILIES};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::dsl::exists;
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Json, Nullable, Untyped, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::family::{ExitReason, FamilyKind, FamilyStatus};
use nuanxin_ids::{FamilyId, OrgUnitId, TenantId, UserId};
use serde::{Deserialize, Serialize};

use crate::pool::{DbPool, TxError};
use crate::schema::{contact_persons, families, family_changes, family_members};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = families, treat_none_as_null = true)]
pub struct FamilyRow {
    pub tenant_id: TenantId,
    pub id: FamilyId,
    pub kind: FamilyKind,
    pub hukou_district: String,
    pub street_id: OrgUnitId,
    pub community_id: OrgUnitId,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub child_died_on: Option<NaiveDate>,
    pub child_disability_grade: Option<i16>,
    pub child_certified_on: Option<NaiveDate>,
    pub monthly_income_per_capita_cny: i64,
    pub prior_year_total_income_cny: i64,
    pub assisted_reproduction_birth_on: Option<NaiveDate>,
    pub status: FamilyStatus,
    pub exit_reason: Option<ExitReason>,
    pub exit_note: Option<String>,
    pub exited_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A parent, as stored in `family_members` and, in PostgreSQL's JSON form of that row, in `families.people`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = family_members)]
pub struct MemberRow {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    pub role: String,
    pub name: String,
    #[serde(with = "bytea")]
    pub resident_id_enc: Vec<u8>,
    #[serde(with = "bytea")]
    pub resident_id_hash: Vec<u8>,
    #[serde(with = "optional_bytea")]
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
    /// The bank and account number, encrypted together (`bank\u{1f}number`).
    #[serde(with = "optional_bytea", default)]
    pub bank_account_enc: Option<Vec<u8>>,
}

/// A contact person, stored like [`MemberRow`] in `contact_persons` and in `families.people`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = contact_persons)]
pub struct ContactRow {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    pub position: i16,
    pub name: String,
    pub category: String,
    #[serde(with = "optional_bytea")]
    pub phone_enc: Option<Vec<u8>>,
}

/// `families.people`: the family's parents (mother first) and contact persons (by position) in one JSON
/// document, so that reading a family is reading one row. The migration that added the column filled it
/// with `json_agg` of the rows; [`FamilyRecord`]'s writes keep it equal to them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, FromSqlRow, AsExpression)]
#[diesel(sql_type = Json)]
pub struct People {
    pub members: Vec<MemberRow>,
    pub contacts: Vec<ContactRow>,
}

impl FromSql<Json, Pg> for People {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(serde_json::from_slice(value.as_bytes())?)
    }
}

impl ToSql<Json, Pg> for People {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        serde_json::to_writer(out, self)?;
        Ok(IsNull::No)
    }
}

/// `bytea` in PostgreSQL's JSON form of a row: `"\\x"` and hex digits.
mod bytea {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("\\x{}", hex::encode(bytes)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digits = text
            .strip_prefix("\\x")
            .ok_or_else(|| D::Error::custom("bytea without its \\x prefix"))?;
        hex::decode(digits).map_err(D::Error::custom)
    }
}

mod optional_bytea {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => super::bytea::serialize(bytes, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        #[derive(Deserialize)]
        struct Bytea(#[serde(with = "super::bytea")] Vec<u8>);
        Ok(Option::<Bytea>::deserialize(d)?.map(|b| b.0))
    }
}

/// A family with its parents and contact persons, as stored.
#[derive(Debug, Clone)]
pub struct FamilyRecord {
    pub family: FamilyRow,
    pub members: Vec<MemberRow>,
    pub contacts: Vec<ContactRow>,
}

/// A family row as read: the columns and the `people` document.
#[derive(QueryableByName)]
pub(crate) struct StoredFamily {
    #[diesel(embed)]
    family: FamilyRow,
    #[diesel(sql_type = Json)]
    people: People,
}

/// `SELECT * FROM family_in_scope(..)` as a query of its own type: a fixed statement that each connection
/// prepares once (diesel never caches a `sql_query`, and preparing per read costs two round trips).
#[derive(Debug, Clone, Copy, QueryId)]
struct FamilyInScope {
    tenant_id: TenantId,
    id: FamilyId,
    street: Option<OrgUnitId>,
    community: Option<OrgUnitId>,
}

impl QueryFragment<Pg> for FamilyInScope {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT * FROM family_in_scope(");
        out.push_bind_param::<SqlUuid, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<SqlUuid, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&self.street)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<SqlUuid>, _>(&self.community)?;
        out.push_sql(")");
        Ok(())
    }
}

impl Query for FamilyInScope {
    type SqlType = Untyped;
}

impl From<StoredFamily> for FamilyRecord {
    fn from(stored: StoredFamily) -> FamilyRecord {
        FamilyRecord::from((stored.family, stored.people))
    }
}

impl From<(FamilyRow, People)> for FamilyRecord {
    fn from((family, people): (FamilyRow, People)) -> FamilyRecord {
        FamilyRecord {
            family,
            members: people.members,
            contacts: people.contacts,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = family_changes)]
pub struct FamilyChange {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    pub version: i32,
    pub changed_at: DateTime<Utc>,
    pub actor_id: UserId,
    pub actor_name: String,
    pub action: String,
    pub changes: serde_json::Value,
}

/// The channel on which every committed change of a family is announced (migration `near_families`).
pub const FAMILY_CHANGED: &str = "nuanxin_family_changed";

/// What a notification on [`FAMILY_CHANGED`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyChanged {
    /// One family: its district and id.
    One(TenantId, FamilyId),
    /// Any family may have changed.
    Any,
}

impl FamilyChanged {
    /// Reads a payload, `<tenant_id>:<family_id>` or `*`; anything else is taken as [`FamilyChanged::Any`].
    pub fn from_payload(payload: &str) -> FamilyChanged {
        payload
            .split_once(':')
            .and_then(|(tenant, family)| {
                Some(FamilyChanged::One(
                    tenant.parse().ok()?,
                    family.parse().ok()?,
                ))
            })
            .unwrap_or(FamilyChanged::Any)
    }
}

/// List filters; birth-date bounds express an age band of a living parent.
#[derive(Debug, Clone, Default)]
pub struct FamilyFilter {
    pub street_id: Option<OrgUnitId>,
    pub community_id: Option<OrgUnitId>,
    pub kind: Option<FamilyKind>,
    pub status: Option<FamilyStatus>,
    pub parent_born_on_or_before: Option<NaiveDate>,
    pub parent_born_after: Option<NaiveDate>,
    /// A parent whose name contains this text.
    pub name_contains: Option<String>,
    /// A parent with this resident ID (its keyed hash).
    pub resident_hash: Option<Vec<u8>>,
    /// Only these families (the families a page of another list names).
    pub ids: Option<Vec<FamilyId>>,
    pub limit: i64,
    pub offset: i64,
}

impl FamilyFilter {
    /// Whether the filter names a person (a name or an ID) or families: such lists are never cached
    /// under a key.
    pub fn names_a_person(&self) -> bool {
        self.name_contains.is_some() || self.resident_hash.is_some() || self.ids.is_some()
    }
}

type BoxedFamilies<'a> = families::BoxedQuery<'a, Pg>;

fn scoped(scope: Scope) -> BoxedFamilies<'static> {
    families::table
        .into_boxed()
        .filter(in_scope(scope, FAMILIES))
}

/// `text` matched literally by LIKE (its `%`, `_` and `\\` escaped).
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn filtered(scope: Scope, filter: &FamilyFilter) -> BoxedFamilies<'static> {
    let mut query = scoped(scope);
    if let Some(street) = filter.street_id {
        query = query.filter(families::street_id.eq(street));
    }
    if let Some(community) = filter.community_id {
        query = query.filter(families::community_id.eq(community));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(families::kind.eq(*kind));
    }
    if let Some(status) = &filter.status {
        query = query.filter(families::status.eq(*status));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(families::id.eq_any(ids.clone()));
    }
    if let Some(name) = &filter.name_contains {
        let pattern = format!("%{}%", escape_like(name));
        query = query.filter(exists(
            family_members::table
                .filter(family_members::tenant_id.eq(families::tenant_id))
                .filter(family_members::family_id.eq(families::id))
                .filter(family_members::name.like(pattern)),
        ));
    }
    if let Some(hash) = &filter.resident_hash {
        query = query.filter(exists(
            family_members::table
                .filter(family_members::tenant_id.eq(families::tenant_id))
                .filter(family_members::family_id.eq(families::id))
                .filter(family_members::resident_id_hash.eq(hash.clone())),
        ));
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
    /// Loads one family if it is inside `scope`, in the caller's transaction.
    pub async fn find(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        id: FamilyId,
    ) -> QueryResult<Option<FamilyRecord>> {
        scoped(scope)
            .filter(families::id.eq(id))
            .select((FamilyRow::as_select(), families::people))
            .first::<(FamilyRow, People)>(conn)
            .await
            .optional()
            .map(|found| found.map(FamilyRecord::from))
    }

    /// Reads one family if it is inside `scope`, on a connection of its own and outside any transaction:
    /// one statement, `family_in_scope`, which sets the row-level-security tenant for its own implicit
    /// transaction and reads the row (see the migration `read_path`). The hot path of `GET /families/{id}`.
    pub async fn read_in_scope(
        pool: &DbPool,
        tenant_id: TenantId,
        scope: Scope,
        id: FamilyId,
    ) -> Result<Option<FamilyRecord>, TxError> {
        let (street, community) = match scope {
            Scope::District => (None, None),
            Scope::Street(street) => (Some(street), None),
            Scope::Community(community) => (None, Some(community)),
            Scope::Nothing => return Ok(None),
            // Assignments are looked up in a transaction of its own (not the hot path).
            Scope::Assigned { .. } => {
                let mut tx = crate::pool::TenantTx::begin(pool, tenant_id).await?;
                let found = Self::find(&mut tx, scope, id).await?;
                tx.commit().await?;
                return Ok(found);
            }
        };
        let mut conn = pool.get().await?;
        let found = FamilyInScope {
            tenant_id,
            id,
            street,
            community,
        }
        .get_result::<StoredFamily>(&mut *conn)
        .await
        .optional()?;
        Ok(found.map(FamilyRecord::from))
    }

    /// One page of the families in `scope` that match `filter`, newest first, and the total count.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
    ) -> QueryResult<(Vec<FamilyRecord>, i64)> {
        let total = Self::count(conn, scope, filter).await?;
        Ok((Self::page(conn, scope, filter).await?, total))
    }

    /// How many families in `scope` match `filter` (pagination ignored).
    pub async fn count(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
    ) -> QueryResult<i64> {
        filtered(scope, filter).count().get_result(conn).await
    }

    /// How many families in `scope` match `filter`, by street and kind, in one grouped count (the
    /// filter's own limit and offset are ignored).
    pub async fn count_by_street_and_kind(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
    ) -> QueryResult<Vec<(OrgUnitId, FamilyKind, i64)>> {
        // A boxed query cannot be grouped in diesel; the grouped count reads the filtered ids instead.
        let matching = filtered(scope, filter).select(families::id);
        families::table
            .filter(families::id.eq_any(matching))
            .group_by((families::street_id, families::kind))
            .select((
                families::street_id,
                families::kind,
                diesel::dsl::count_star(),
            ))
            .order((families::street_id, families::kind))
            .load(conn)
            .await
    }

    /// One page (`filter.limit`, `filter.offset`) of the families in `scope` matching `filter`, newest first.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
    ) -> QueryResult<Vec<FamilyRecord>> {
        let rows = filtered(scope, filter)
            .order((families::created_at.desc(), families::id))
            .limit(filter.limit)
            .offset(filter.offset)
            .select((FamilyRow::as_select(), families::people))
            .load::<(FamilyRow, People)>(conn)
            .await?;
        Ok(rows.into_iter().map(FamilyRecord::from).collect())
    }

    /// Every family in `scope` matching `filter` (for export), in a stable order.
    pub async fn all(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        filter: &FamilyFilter,
    ) -> QueryResult<Vec<FamilyRecord>> {
        let rows = filtered(scope, filter)
            .order((families::street_id, families::created_at, families::id))
            .select((FamilyRow::as_select(), families::people))
            .load::<(FamilyRow, People)>(conn)
            .await?;
        Ok(rows.into_iter().map(FamilyRecord::from).collect())
    }

    /// Inserts a new family with its parents and contacts.
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(families::table)
            .values((&self.family, families::people.eq(self.people())))
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
            let families: Vec<_> = chunk
                .iter()
                .map(|r| (&r.family, families::people.eq(r.people())))
                .collect();
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
            .set((&self.family, families::people.eq(self.people())))
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

    /// The `people` document of this record: parents mother first, contacts by position, as the
    /// migration that introduced the column ordered them.
    fn people(&self) -> People {
        let mut members = self.members.clone();
        members.sort_by(|a, b| b.role.cmp(&a.role));
        let mut contacts = self.contacts.clone();
        contacts.sort_by_key(|c| c.position);
        People { members, contacts }
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
        except_family: Option<FamilyId>,
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
        family_id: FamilyId,
    ) -> QueryResult<Vec<FamilyChange>> {
        family_changes::table
            .filter(family_changes::family_id.eq(family_id))
            .order(family_changes::version)
            .select(FamilyChange::as_select())
            .load(conn)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_notification_names_one_family_or_any() {
        let (tenant, family) = (TenantId::generate(), FamilyId::generate());
        assert_eq!(
            FamilyChanged::from_payload(&format!("{tenant}:{family}")),
            FamilyChanged::One(tenant, family)
        );
        assert_eq!(FamilyChanged::from_payload("*"), FamilyChanged::Any);
        // Whatever cannot be read is taken as the widest change, never ignored.
        assert_eq!(
            FamilyChanged::from_payload(&format!("{tenant}:not-an-id")),
            FamilyChanged::Any
        );
    }
}
