//! Data sharing between departments (issue 12): requests, releases with their records, the families'
//! consents, and the sharing events of the audit log that a family's access log lists.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bytea, Int4, Jsonb, Text, Untyped, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::sharing::ReleaseBuild;
use nuanxin_domain::sharing::{ConsentHow, RequestStatus};
use nuanxin_ids::{DataReleaseId, DataRequestId, FamilyId, OrgUnitId, TenantId, UserId};

use crate::models::audit::AuditEvent;
use crate::models::family::{FamilyRecord, StoredFamily};
use crate::pool::{DbPool, TxError};
use crate::schema::{
    audit_events, data_release_records, data_releases, data_requests, sharing_consents, users,
};

/// A department's request, as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = data_requests)]
pub struct DataRequest {
    pub tenant_id: TenantId,
    pub id: DataRequestId,
    pub org_unit_id: OrgUnitId,
    pub requested_by: UserId,
    pub purpose: String,
    /// Field codes, in the order asked.
    pub fields: serde_json::Value,
    /// `[[name, value], …]`.
    pub filter: serde_json::Value,
    pub days: i32,
    pub status: RequestStatus,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl DataRequest {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(data_requests::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: DataRequestId,
    ) -> QueryResult<Option<DataRequest>> {
        data_requests::table
            .filter(data_requests::id.eq(id))
            .select(DataRequest::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Newest first: one unit's requests, or (`None`) every unit's.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        org_unit_id: Option<OrgUnitId>,
        status: Option<RequestStatus>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<DataRequest>> {
        let mut query = data_requests::table.into_boxed();
        if let Some(unit) = org_unit_id {
            query = query.filter(data_requests::org_unit_id.eq(unit));
        }
        if let Some(status) = status {
            query = query.filter(data_requests::status.eq(status));
        }
        query
            .order((data_requests::created_at.desc(), data_requests::id))
            .limit(limit)
            .offset(offset)
            .select(DataRequest::as_select())
            .load(conn)
            .await
    }

    /// Moves a pending request to `status` (approved or rejected); `None` when it was no longer
    /// pending (decided meanwhile by someone else).
    pub async fn decide(
        conn: &mut AsyncPgConnection,
        id: DataRequestId,
        status: RequestStatus,
        by: UserId,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> QueryResult<Option<DataRequest>> {
        diesel::update(
            data_requests::table
                .filter(data_requests::id.eq(id))
                .filter(data_requests::status.eq(RequestStatus::Pending)),
        )
        .set((
            data_requests::status.eq(status),
            data_requests::decided_by.eq(Some(by)),
            data_requests::decided_at.eq(Some(at)),
            data_requests::reason.eq(reason),
        ))
        .returning(DataRequest::as_returning())
        .get_result(conn)
        .await
        .optional()
    }

    /// Back to pending: an approval whose release could not be written is undone.
    pub async fn reopen(conn: &mut AsyncPgConnection, id: DataRequestId) -> QueryResult<()> {
        diesel::update(data_requests::table.filter(data_requests::id.eq(id)))
            .set((
                data_requests::status.eq(RequestStatus::Pending),
                data_requests::decided_by.eq(None::<UserId>),
                data_requests::decided_at.eq(None::<DateTime<Utc>>),
                data_requests::reason.eq(None::<String>),
            ))
            .execute(conn)
            .await
            .map(drop)
    }
}

/// A release: what one approved request gave its department.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = data_releases)]
pub struct DataRelease {
    pub tenant_id: TenantId,
    pub id: DataReleaseId,
    pub request_id: DataRequestId,
    pub org_unit_id: OrgUnitId,
    pub purpose: String,
    /// `[[field, mode], …]` as the rule released them.
    pub fields: serde_json::Value,
    pub approved_by: UserId,
    pub approved_at: DateTime<Utc>,
    pub released_on: NaiveDate,
    pub expires_on: NaiveDate,
    /// `building` or `ready`.
    pub state: ReleaseBuild,
    pub families: i32,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<UserId>,
    pub expiry_notice_at: Option<DateTime<Utc>>,
}

impl DataRelease {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(data_releases::table)
            .values(self)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: DataReleaseId,
    ) -> QueryResult<Option<DataRelease>> {
        data_releases::table
            .filter(data_releases::id.eq(id))
            .select(DataRelease::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn of_request(
        conn: &mut AsyncPgConnection,
        request_id: DataRequestId,
    ) -> QueryResult<Option<DataRelease>> {
        data_releases::table
            .filter(data_releases::request_id.eq(request_id))
            .select(DataRelease::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The releases of these requests.
    pub async fn of_requests(
        conn: &mut AsyncPgConnection,
        request_ids: &[DataRequestId],
    ) -> QueryResult<Vec<DataRelease>> {
        data_releases::table
            .filter(data_releases::request_id.eq_any(request_ids))
            .select(DataRelease::as_select())
            .load(conn)
            .await
    }

    /// Newest first: one unit's releases, or (`None`) every unit's.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        org_unit_id: Option<OrgUnitId>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<Vec<DataRelease>> {
        let mut query = data_releases::table.into_boxed();
        if let Some(unit) = org_unit_id {
            query = query.filter(data_releases::org_unit_id.eq(unit));
        }
        query
            .order((data_releases::approved_at.desc(), data_releases::id))
            .limit(limit)
            .offset(offset)
            .select(DataRelease::as_select())
            .load(conn)
            .await
    }

    /// Marks a release whose records are all written readable.
    pub async fn mark_ready(
        conn: &mut AsyncPgConnection,
        id: DataReleaseId,
        families: i32,
    ) -> QueryResult<()> {
        diesel::update(data_releases::table.filter(data_releases::id.eq(id)))
            .set((
                data_releases::state.eq(ReleaseBuild::Ready),
                data_releases::families.eq(families),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Removes a release still being built, with its records (an approval that failed half-way).
    pub async fn delete_building(
        conn: &mut AsyncPgConnection,
        id: DataReleaseId,
    ) -> QueryResult<()> {
        diesel::delete(
            data_releases::table
                .filter(data_releases::id.eq(id))
                .filter(data_releases::state.eq(ReleaseBuild::Building)),
        )
        .execute(conn)
        .await
        .map(drop)
    }

    /// Revokes a release not yet revoked; `None` when it already was.
    pub async fn revoke(
        conn: &mut AsyncPgConnection,
        id: DataReleaseId,
        by: UserId,
        at: DateTime<Utc>,
    ) -> QueryResult<Option<DataRelease>> {
        diesel::update(
            data_releases::table
                .filter(data_releases::id.eq(id))
                .filter(data_releases::revoked_at.is_null()),
        )
        .set((
            data_releases::revoked_at.eq(Some(at)),
            data_releases::revoked_by.eq(Some(by)),
        ))
        .returning(DataRelease::as_returning())
        .get_result(conn)
        .await
        .optional()
    }

    /// Readable releases that end on or before `last_day` and have had no expiry notice, claimed for
    /// one (marked noticed in the same statement, so two nodes never send it twice).
    pub async fn claim_expiry_notices(
        conn: &mut AsyncPgConnection,
        last_day: NaiveDate,
        today: NaiveDate,
        at: DateTime<Utc>,
    ) -> QueryResult<Vec<DataRelease>> {
        diesel::update(
            data_releases::table
                .filter(data_releases::state.eq(ReleaseBuild::Ready))
                .filter(data_releases::revoked_at.is_null())
                .filter(data_releases::expiry_notice_at.is_null())
                .filter(data_releases::expires_on.le(last_day))
                .filter(data_releases::expires_on.ge(today)),
        )
        .set(data_releases::expiry_notice_at.eq(Some(at)))
        .returning(DataRelease::as_returning())
        .get_results(conn)
        .await
    }
}

/// One released record, sealed, with its aggregate dimensions.
#[derive(Debug, Clone)]
pub struct NewReleaseRecord {
    pub seq: i32,
    pub family_id: FamilyId,
    pub record_enc: Vec<u8>,
    pub street: String,
    pub community: String,
    pub kind: String,
    pub age_band: String,
    /// Program codes, as a JSON array.
    pub programs: serde_json::Value,
}

/// Writes a page of records of `release_id` in one statement (unnest: one round trip per page).
pub async fn insert_records(
    conn: &mut AsyncPgConnection,
    tenant_id: TenantId,
    release_id: DataReleaseId,
    rows: &[NewReleaseRecord],
) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO data_release_records \
         (tenant_id, release_id, seq, family_id, record_enc, street, community, kind, age_band, programs) \
         SELECT $1, $2, * FROM unnest($3::int4[], $4::uuid[], $5::bytea[], $6::text[], $7::text[], \
         $8::text[], $9::text[], $10::jsonb[])",
    )
    .bind::<SqlUuid, _>(tenant_id)
    .bind::<SqlUuid, _>(release_id)
    .bind::<Array<Int4>, _>(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.family_id).collect::<Vec<_>>())
    .bind::<Array<Bytea>, _>(rows.iter().map(|r| r.record_enc.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.street.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.community.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.kind.clone()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.age_band.clone()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(rows.iter().map(|r| r.programs.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// A page of a release's sealed records after `after_seq`, in order: (seq, family, sealed record).
pub async fn records_page(
    conn: &mut AsyncPgConnection,
    release_id: DataReleaseId,
    after_seq: i32,
    limit: i64,
) -> QueryResult<Vec<(i32, FamilyId, Vec<u8>)>> {
    data_release_records::table
        .filter(data_release_records::release_id.eq(release_id))
        .filter(data_release_records::seq.gt(after_seq))
        .order(data_release_records::seq)
        .limit(limit)
        .select((
            data_release_records::seq,
            data_release_records::family_id,
            data_release_records::record_enc,
        ))
        .load(conn)
        .await
}

/// One combination of a release's dimensions and how many of its families have it.
#[derive(Debug, Clone, QueryableByName)]
pub struct DimensionCount {
    #[diesel(sql_type = Text)]
    pub street: String,
    #[diesel(sql_type = Text)]
    pub community: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub age_band: String,
    /// The program codes these families hold, as a JSON array.
    #[diesel(sql_type = Jsonb)]
    pub programs: serde_json::Value,
    #[diesel(sql_type = BigInt)]
    pub families: i64,
}

/// The release's families counted by every combination of street, community, kind, age band and
/// the set of programs they hold.
pub async fn dimension_counts(
    conn: &mut AsyncPgConnection,
    release_id: DataReleaseId,
) -> QueryResult<Vec<DimensionCount>> {
    diesel::sql_query(
        "SELECT street, community, kind, age_band, programs, count(*) AS families \
         FROM data_release_records WHERE release_id = $1 \
         GROUP BY street, community, kind, age_band, programs ORDER BY 1, 2, 3, 4",
    )
    .bind::<SqlUuid, _>(release_id)
    .load(conn)
    .await
}

/// The releases that hold `family_id`, with the family's place (seq) in each.
pub async fn releases_of_family(
    conn: &mut AsyncPgConnection,
    family_id: FamilyId,
) -> QueryResult<Vec<(DataRelease, i32)>> {
    data_release_records::table
        .inner_join(
            data_releases::table.on(data_releases::tenant_id
                .eq(data_release_records::tenant_id)
                .and(data_releases::id.eq(data_release_records::release_id))),
        )
        .filter(data_release_records::family_id.eq(family_id))
        .filter(data_releases::state.eq(ReleaseBuild::Ready))
        .select((DataRelease::as_select(), data_release_records::seq))
        .load(conn)
        .await
}

/// Sharing events of the audit log about these objects (`data_release` reads and exports,
/// `family` verifications), oldest first.
pub async fn sharing_events(
    conn: &mut AsyncPgConnection,
    object_type: &str,
    object_ids: &[String],
) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::object_type.eq(object_type))
        .filter(audit_events::object_id.eq_any(object_ids))
        .filter(audit_events::action.eq_any([
            "data_release.read",
            "data_release.export",
            "verification.ask",
        ]))
        .order(audit_events::id)
        .select(AuditEvent::as_select())
        .load(conn)
        .await
}

/// A family's consent to one unit's purpose.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sharing_consents)]
pub struct Consent {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    pub org_unit_code: String,
    pub purpose: String,
    pub given_on: NaiveDate,
    pub how: ConsentHow,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by: Option<String>,
}

impl Consent {
    /// Records the consent (again, if it had been withdrawn: the new date and way replace the old).
    pub async fn give(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(sharing_consents::table)
            .values(self)
            .on_conflict((
                sharing_consents::tenant_id,
                sharing_consents::family_id,
                sharing_consents::org_unit_code,
                sharing_consents::purpose,
            ))
            .do_update()
            .set((
                sharing_consents::given_on.eq(self.given_on),
                sharing_consents::how.eq(&self.how),
                sharing_consents::note.eq(&self.note),
                sharing_consents::recorded_by.eq(&self.recorded_by),
                sharing_consents::recorded_at.eq(self.recorded_at),
                sharing_consents::withdrawn_on.eq(None::<NaiveDate>),
                sharing_consents::withdrawn_by.eq(None::<String>),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Withdraws a consent in force; false when there was none.
    pub async fn withdraw(
        conn: &mut AsyncPgConnection,
        family_id: FamilyId,
        org_unit_code: &str,
        purpose: &str,
        on: NaiveDate,
        by: &str,
    ) -> QueryResult<bool> {
        diesel::update(
            sharing_consents::table
                .filter(sharing_consents::family_id.eq(family_id))
                .filter(sharing_consents::org_unit_code.eq(org_unit_code))
                .filter(sharing_consents::purpose.eq(purpose))
                .filter(sharing_consents::withdrawn_on.is_null()),
        )
        .set((
            sharing_consents::withdrawn_on.eq(Some(on)),
            sharing_consents::withdrawn_by.eq(Some(by)),
        ))
        .execute(conn)
        .await
        .map(|n| n > 0)
    }

    pub async fn of_family(
        conn: &mut AsyncPgConnection,
        family_id: FamilyId,
    ) -> QueryResult<Vec<Consent>> {
        sharing_consents::table
            .filter(sharing_consents::family_id.eq(family_id))
            .order((sharing_consents::org_unit_code, sharing_consents::purpose))
            .select(Consent::as_select())
            .load(conn)
            .await
    }

    /// Which of `families` consent, on `on`, to `org_unit_code`'s `purpose`.
    pub async fn in_force_among(
        conn: &mut AsyncPgConnection,
        org_unit_code: &str,
        purpose: &str,
        on: NaiveDate,
        families: &[FamilyId],
    ) -> QueryResult<Vec<FamilyId>> {
        sharing_consents::table
            .filter(sharing_consents::org_unit_code.eq(org_unit_code))
            .filter(sharing_consents::purpose.eq(purpose))
            .filter(sharing_consents::family_id.eq_any(families))
            .filter(sharing_consents::given_on.le(on))
            .filter(sharing_consents::withdrawn_on.is_null())
            .select(sharing_consents::family_id)
            .load(conn)
            .await
    }
}

/// The e-mail address of an active user, if they have one (the requester of a decision).
pub async fn email_of_user(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<Option<String>> {
    users::table
        .filter(users::id.eq(user_id))
        .filter(users::active)
        .select(users::email)
        .first::<Option<String>>(conn)
        .await
        .optional()
        .map(Option::flatten)
}

/// Empties the sealed records of releases that ended (expired before `today`, or revoked): nobody
/// may read them any more, so they are not kept. The rows stay (family and place) for access logs.
pub async fn purge_ended_records(
    conn: &mut AsyncPgConnection,
    today: NaiveDate,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE data_release_records r SET record_enc = '\\x'::bytea \
         FROM data_releases d \
         WHERE d.tenant_id = r.tenant_id AND d.id = r.release_id \
         AND (d.revoked_at IS NOT NULL OR d.expires_on < $1) AND length(r.record_enc) > 0",
    )
    .bind::<diesel::sql_types::Date, _>(today)
    .execute(conn)
    .await
}

/// `SELECT * FROM family_of_resident(..)` (migration `verification_lookup`) as a query of its own
/// type: a fixed statement that each connection prepares once, like `family_in_scope`.
#[derive(Debug, Clone, QueryId)]
struct FamilyOfResident {
    tenant_id: TenantId,
    hash: Vec<u8>,
}

impl QueryFragment<Pg> for FamilyOfResident {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT * FROM family_of_resident(");
        out.push_bind_param::<SqlUuid, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Bytea, _>(&self.hash)?;
        out.push_sql(")");
        Ok(())
    }
}

impl Query for FamilyOfResident {
    type SqlType = Untyped;
}

/// The active family of the district with a parent of this keyed resident-ID hash, in one statement
/// on a connection of its own, outside any transaction: a verification query's whole read.
pub async fn family_of_resident(
    pool: &DbPool,
    tenant_id: TenantId,
    hash: Vec<u8>,
) -> Result<Option<FamilyRecord>, TxError> {
    let mut conn = pool.get().await?;
    let found = FamilyOfResident { tenant_id, hash }
        .get_result::<StoredFamily>(&mut *conn)
        .await
        .optional()?;
    Ok(found.map(FamilyRecord::from))
}
