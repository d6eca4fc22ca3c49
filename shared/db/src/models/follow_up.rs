//! The newly-eligible job's state: the entitlements last seen per family, the follow-up items it
//! creates for streets, and the per-tenant claim of a daily run.

use crate::scope::{in_scope, FamilyColumns};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_domain::benefit::FollowUpStatus;
use nuanxin_ids::{FamilyId, OrgUnitId, TenantId};
use uuid::Uuid;

use crate::models::family::Scope;
use crate::schema::{entitlement_snapshots, follow_ups};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = entitlement_snapshots)]
pub struct Snapshot {
    pub tenant_id: TenantId,
    pub family_id: FamilyId,
    /// `[{program, person, amount_cny, period, payer}]`.
    pub programs: serde_json::Value,
    pub evaluated_on: NaiveDate,
}

impl Snapshot {
    pub async fn of_families(
        conn: &mut AsyncPgConnection,
        ids: &[FamilyId],
    ) -> QueryResult<Vec<Snapshot>> {
        entitlement_snapshots::table
            .filter(entitlement_snapshots::family_id.eq_any(ids))
            .select(Snapshot::as_select())
            .load(conn)
            .await
    }

    /// Stores the snapshots, replacing older ones; a snapshot taken on a later date is kept, so
    /// runs that overlap or arrive out of order never move a family back in time.
    pub async fn upsert_many(conn: &mut AsyncPgConnection, rows: &[Snapshot]) -> QueryResult<()> {
        use diesel::sql_types::{Array, Date, Jsonb, Uuid as SqlUuid};
        for chunk in rows.chunks(5000) {
            diesel::sql_query(
                "INSERT INTO entitlement_snapshots (tenant_id, family_id, programs, evaluated_on) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::date[]) \
                 ON CONFLICT (tenant_id, family_id) DO UPDATE \
                 SET programs = EXCLUDED.programs, evaluated_on = EXCLUDED.evaluated_on \
                 WHERE entitlement_snapshots.evaluated_on <= EXCLUDED.evaluated_on",
            )
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.tenant_id).collect::<Vec<_>>())
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|r| r.family_id).collect::<Vec<_>>())
            .bind::<Array<Jsonb>, _>(chunk.iter().map(|r| r.programs.clone()).collect::<Vec<_>>())
            .bind::<Array<Date>, _>(chunk.iter().map(|r| r.evaluated_on).collect::<Vec<_>>())
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = follow_ups)]
pub struct NewFollowUp {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: FamilyId,
    pub street_id: OrgUnitId,
    pub change: String,
    pub program: String,
    pub person: String,
    pub detail: serde_json::Value,
    pub created_on: NaiveDate,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = follow_ups)]
pub struct FollowUp {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub family_id: FamilyId,
    pub street_id: OrgUnitId,
    pub change: String,
    pub program: String,
    pub person: String,
    pub detail: serde_json::Value,
    pub created_on: NaiveDate,
    pub status: FollowUpStatus,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl NewFollowUp {
    /// Inserts the items not already there (one per family, change, program, person and date);
    /// returns how many were new.
    pub async fn insert_new(
        conn: &mut AsyncPgConnection,
        rows: &[NewFollowUp],
    ) -> QueryResult<usize> {
        let mut inserted = 0;
        for chunk in rows.chunks(5000) {
            inserted += diesel::insert_into(follow_ups::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        Ok(inserted)
    }
}

fn scoped(scope: Scope) -> follow_ups::BoxedQuery<'static, diesel::pg::Pg> {
    follow_ups::table
        .into_boxed()
        .filter(in_scope(scope, FOLLOW_UPS))
}

const FOLLOW_UPS: FamilyColumns = FamilyColumns {
    table: "follow_ups",
    family_id: "family_id",
    street_id: Some("street_id"),
};

impl FollowUp {
    /// Follow-ups in `scope`, newest first; `status` filters when given.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        status: Option<FollowUpStatus>,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<FollowUp>, i64)> {
        let build = || {
            let mut q = scoped(scope);
            if let Some(status) = status {
                q = q.filter(follow_ups::status.eq(status));
            }
            q
        };
        let total = build().count().get_result(conn).await?;
        let rows = build()
            .order((
                follow_ups::created_on.desc(),
                follow_ups::family_id,
                follow_ups::program,
            ))
            .limit(limit)
            .offset(offset)
            .select(FollowUp::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        scope: Scope,
        id: Uuid,
    ) -> QueryResult<Option<FollowUp>> {
        scoped(scope)
            .filter(follow_ups::id.eq(id))
            .select(FollowUp::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Marks an open item done; false when it was not open.
    pub async fn mark_done(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        by: &str,
        note: Option<&str>,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            follow_ups::table
                .filter(follow_ups::id.eq(id))
                .filter(follow_ups::status.eq(FollowUpStatus::Open)),
        )
        .set((
            follow_ups::status.eq(FollowUpStatus::Done),
            follow_ups::done_by.eq(by),
            follow_ups::done_at.eq(Utc::now()),
            follow_ups::done_note.eq(note),
        ))
        .execute(conn)
        .await?;
        Ok(n == 1)
    }
}
