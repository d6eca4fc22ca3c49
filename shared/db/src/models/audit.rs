//! The audit log: changes appended in the transaction that made them, reads appended in batches by the
//! service's read log ([`NewAuditEvent::append`]); all sealed later into a per-tenant hash chain (see the
//! migrations for why the steps are separate).

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    Array, BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::TenantId;

use crate::pool::{DbPool, TxError};
use crate::schema::{audit_chain, audit_events, audit_unsealed};

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub tenant_id: TenantId,
    /// None: the time of the insert.
    pub occurred_at: Option<DateTime<Utc>>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: serde_json::Value,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub tenant_id: TenantId,
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: serde_json::Value,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_chain)]
pub struct ChainLink {
    pub tenant_id: TenantId,
    pub seq: i64,
    pub event_id: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub sealed_at: DateTime<Utc>,
}

impl NewAuditEvent {
    /// Appends one event in the caller's transaction. Takes a shared connection so the insert can be
    /// pipelined with the transaction's other statements.
    pub async fn insert(&self, conn: &AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(audit_events::table)
            .values(self)
            .execute(&mut &*conn)
            .await
            .map(drop)
    }

    /// Appends events of any districts on a connection of their own, outside any transaction, in one
    /// statement whatever their number (`audit_append_all`, migration `read_log_one_statement`).
    /// Events go in in slice order, so each district's keep theirs. For the read log.
    pub async fn append(pool: &DbPool, events: &[NewAuditEvent]) -> Result<(), TxError> {
        let now = Utc::now();
        let append = AuditAppend {
            tenant_id: events.iter().map(|e| e.tenant_id).collect(),
            occurred_at: events
                .iter()
                .map(|e| e.occurred_at.unwrap_or(now))
                .collect(),
            actor: events.iter().map(|e| e.actor.as_str()).collect(),
            action: events.iter().map(|e| e.action.as_str()).collect(),
            object_type: events.iter().map(|e| e.object_type.as_str()).collect(),
            object_id: events.iter().map(|e| e.object_id.as_str()).collect(),
            detail: events.iter().map(|e| &e.detail).collect(),
            request_id: events.iter().map(|e| e.request_id.as_deref()).collect(),
        };
        let mut conn = pool.get().await?;
        append.execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn insert_many(
        conn: &mut AsyncPgConnection,
        events: &[NewAuditEvent],
    ) -> QueryResult<()> {
        for chunk in events.chunks(5000) {
            diesel::insert_into(audit_events::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}

/// `SELECT audit_append_all(..)` with the events as one array per column: a fixed statement, prepared
/// once per connection, for any number of events and districts.
struct AuditAppend<'a> {
    tenant_id: Vec<TenantId>,
    occurred_at: Vec<DateTime<Utc>>,
    actor: Vec<&'a str>,
    action: Vec<&'a str>,
    object_type: Vec<&'a str>,
    object_id: Vec<&'a str>,
    detail: Vec<&'a serde_json::Value>,
    request_id: Vec<Option<&'a str>>,
}

impl QueryFragment<Pg> for AuditAppend<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT audit_append_all(");
        out.push_bind_param::<Array<SqlUuid>, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamptz>, _>(&self.occurred_at)?;
        for column in [
            &self.actor,
            &self.action,
            &self.object_type,
            &self.object_id,
        ] {
            out.push_sql(", ");
            out.push_bind_param::<Array<Text>, _>(column)?;
        }
        out.push_sql(", ");
        out.push_bind_param::<Array<Jsonb>, _>(&self.detail)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.request_id)?;
        out.push_sql(")");
        Ok(())
    }
}

impl QueryId for AuditAppend<'_> {
    type QueryId = AuditAppend<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for AuditAppend<'_> {
    type SqlType = Untyped;
}

/// `INSERT INTO audit_chain .. SELECT .. FROM unnest(..)`: links as one array per column.
struct ChainAppend<'a> {
    tenant_id: TenantId,
    seq: Vec<i64>,
    event_id: Vec<i64>,
    prev_hash: Vec<&'a [u8]>,
    hash: Vec<&'a [u8]>,
    sealed_at: DateTime<Utc>,
}

impl QueryFragment<Pg> for ChainAppend<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO audit_chain (tenant_id, seq, event_id, prev_hash, hash, sealed_at) \
             SELECT ",
        );
        out.push_bind_param::<SqlUuid, _>(&self.tenant_id)?;
        out.push_sql(", l.seq, l.event_id, l.prev_hash, l.hash, ");
        out.push_bind_param::<Timestamptz, _>(&self.sealed_at)?;
        out.push_sql(" FROM unnest(");
        out.push_bind_param::<Array<BigInt>, _>(&self.seq)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.event_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bytea>, _>(&self.prev_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bytea>, _>(&self.hash)?;
        out.push_sql(") AS l (seq, event_id, prev_hash, hash)");
        Ok(())
    }
}

impl QueryId for ChainAppend<'_> {
    type QueryId = ChainAppend<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl AuditEvent {
    /// Takes the tenant's chain lock for this transaction, so that one sealer at a time extends it.
    pub async fn lock_chain(conn: &mut AsyncPgConnection, tenant_id: TenantId) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<Text, _>(format!("audit-chain:{tenant_id}"))
            .execute(conn)
            .await
            .map(drop)
    }

    /// The oldest `limit` events not yet in the chain, from the queue the database keeps of them (see the
    /// migration `audit_unsealed`): late commits included, and nothing sealed is scanned again.
    ///
    /// Two lookups by key rather than one join: a join let the planner read and sort the district's
    /// whole log when the queue's statistics were stale (200–860 ms a call under load).
    pub async fn unsealed(
        conn: &mut AsyncPgConnection,
        limit: i64,
    ) -> QueryResult<Vec<AuditEvent>> {
        let ids: Vec<i64> = audit_unsealed::table
            .order(audit_unsealed::event_id)
            .limit(limit)
            .select(audit_unsealed::event_id)
            .load(conn)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        audit_events::table
            .filter(audit_events::id.eq_any(ids))
            .order(audit_events::id)
            .select(AuditEvent::as_select())
            .load(conn)
            .await
    }

    /// The events of one object, newest first.
    pub async fn of_object(
        conn: &mut AsyncPgConnection,
        object_type: &str,
        object_id: &str,
        limit: i64,
    ) -> QueryResult<Vec<AuditEvent>> {
        audit_events::table
            .filter(audit_events::object_type.eq(object_type))
            .filter(audit_events::object_id.eq(object_id))
            .order(audit_events::id.desc())
            .limit(limit)
            .select(AuditEvent::as_select())
            .load(conn)
            .await
    }
}

impl ChainLink {
    /// The newest link of the tenant's chain, if any.
    pub async fn last(conn: &mut AsyncPgConnection) -> QueryResult<Option<ChainLink>> {
        audit_chain::table
            .order(audit_chain::seq.desc())
            .select(ChainLink::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Appends links of one tenant's chain in one fixed statement whatever their number (a multi-row
    /// VALUES would be parsed and planned anew for every batch size).
    pub async fn insert_many(conn: &mut AsyncPgConnection, links: &[ChainLink]) -> QueryResult<()> {
        let Some(first) = links.first() else {
            return Ok(());
        };
        ChainAppend {
            tenant_id: first.tenant_id,
            seq: links.iter().map(|l| l.seq).collect(),
            event_id: links.iter().map(|l| l.event_id).collect(),
            prev_hash: links.iter().map(|l| l.prev_hash.as_slice()).collect(),
            hash: links.iter().map(|l| l.hash.as_slice()).collect(),
            sealed_at: first.sealed_at,
        }
        .execute(conn)
        .await
        .map(drop)
    }

    /// A page of the chain with its events, from `after_seq` on, in order.
    pub async fn page(
        conn: &mut AsyncPgConnection,
        after_seq: i64,
        limit: i64,
    ) -> QueryResult<Vec<(ChainLink, AuditEvent)>> {
        audit_chain::table
            .inner_join(
                audit_events::table.on(audit_events::tenant_id
                    .eq(audit_chain::tenant_id)
                    .and(audit_events::id.eq(audit_chain::event_id))),
            )
            .filter(audit_chain::seq.gt(after_seq))
            .order(audit_chain::seq)
            .limit(limit)
            .select((ChainLink::as_select(), AuditEvent::as_select()))
            .load(conn)
            .await
    }

    /// How many events are in the log and how many of them are sealed.
    pub async fn counts(conn: &mut AsyncPgConnection) -> QueryResult<(i64, i64)> {
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = BigInt)]
            events: i64,
            #[diesel(sql_type = BigInt)]
            sealed: i64,
        }
        let counts: Counts = diesel::sql_query(
            "SELECT (SELECT count(*) FROM audit_events) AS events, (SELECT count(*) FROM audit_chain) AS sealed",
        )
        .get_result(conn)
        .await?;
        Ok((counts.events, counts.sealed))
    }
}
