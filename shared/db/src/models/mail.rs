//! The e-mail outbox: messages written in the transaction that caused them, sent later by the dispatcher.
//!
//! Sending is leased, never done inside a transaction: [`QueuedMail::lease_due`] leases a batch (and its
//! transaction commits at once), the dispatcher sends, then [`QueuedMail::mark_sent`] or
//! [`QueuedMail::mark_failed`] records each outcome if the lease is still the dispatcher's.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::TenantId;
use uuid::Uuid;

use crate::schema::mail_outbox;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMail {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct QueuedMail {
    pub tenant_id: TenantId,
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_try_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl NewMail {
    /// Queues the messages: one `INSERT … SELECT FROM unnest(…)` per 5,000, whatever their number
    /// (a sweep writes thousands at once; one bind per column, not per value).
    pub async fn insert_many(conn: &mut AsyncPgConnection, mails: &[NewMail]) -> QueryResult<()> {
        for chunk in mails.chunks(5_000) {
            diesel::sql_query(
                "INSERT INTO mail_outbox (tenant_id, id, to_address, subject, body) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[])",
            )
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|m| m.tenant_id).collect::<Vec<_>>())
            .bind::<Array<SqlUuid>, _>(chunk.iter().map(|m| m.id).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(
                chunk
                    .iter()
                    .map(|m| m.to_address.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(chunk.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(chunk.iter().map(|m| m.body.as_str()).collect::<Vec<_>>())
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

impl QueuedMail {
    /// Leases up to `limit` due messages to `lease_id` for `lease_secs`: none is leased to another
    /// dispatcher until the lease expires. Commit at once; send outside the transaction.
    pub async fn lease_due(
        conn: &mut AsyncPgConnection,
        lease_id: Uuid,
        lease_secs: i64,
        limit: i64,
    ) -> QueryResult<Vec<QueuedMail>> {
        // The row locks (SKIP LOCKED) only keep two concurrent leasers apart; the lease is what holds.
        diesel::sql_query(
            "UPDATE mail_outbox SET lease_id = $1, leased_until = now() + make_interval(secs => $2) \
             WHERE (tenant_id, id) IN ( \
                 SELECT tenant_id, id FROM mail_outbox \
                 WHERE sent_at IS NULL AND next_try_at <= now() \
                   AND (leased_until IS NULL OR leased_until < now()) \
                 ORDER BY next_try_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING tenant_id, id, to_address, subject, body, created_at, attempts, last_error, \
                 next_try_at, sent_at",
        )
        .bind::<SqlUuid, _>(lease_id)
        .bind::<BigInt, _>(lease_secs)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await
    }

    /// Marks a message sent, if it is still leased to `lease_id`; false if the lease was lost (expired
    /// and taken by another dispatcher, which sends it with the same Message-ID).
    pub async fn mark_sent(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        lease_id: Uuid,
    ) -> QueryResult<bool> {
        Ok(Self::mark_sent_many(conn, &[id], lease_id).await? == 1)
    }

    /// Marks these messages sent, those still leased to `lease_id`; how many were (the others' lease
    /// was lost: another dispatcher sends them with the same Message-ID).
    pub async fn mark_sent_many(
        conn: &mut AsyncPgConnection,
        ids: &[Uuid],
        lease_id: Uuid,
    ) -> QueryResult<usize> {
        if ids.is_empty() {
            return Ok(0);
        }
        diesel::update(
            mail_outbox::table
                .filter(mail_outbox::id.eq_any(ids))
                .filter(mail_outbox::lease_id.eq(lease_id)),
        )
        .set((
            mail_outbox::sent_at.eq(diesel::dsl::now),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::lease_id.eq(None::<Uuid>),
            mail_outbox::leased_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
    }

    /// Records a failed attempt and when to try again, if the message is still leased to `lease_id`.
    pub async fn mark_failed(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        lease_id: Uuid,
        error: &str,
        next_try_at: DateTime<Utc>,
    ) -> QueryResult<bool> {
        let n = diesel::update(Self::leased(id, lease_id))
            .set((
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::last_error.eq(error),
                mail_outbox::next_try_at.eq(next_try_at),
                mail_outbox::lease_id.eq(None::<Uuid>),
                mail_outbox::leased_until.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await?;
        Ok(n == 1)
    }

    /// Gives back the messages of a lease that were not tried, for the next dispatch.
    pub async fn release(conn: &mut AsyncPgConnection, lease_id: Uuid) -> QueryResult<usize> {
        diesel::update(
            mail_outbox::table
                .filter(mail_outbox::lease_id.eq(lease_id))
                .filter(mail_outbox::sent_at.is_null()),
        )
        .set((
            mail_outbox::lease_id.eq(None::<Uuid>),
            mail_outbox::leased_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
    }

    fn leased(
        id: Uuid,
        lease_id: Uuid,
    ) -> diesel::dsl::Filter<
        diesel::dsl::Filter<mail_outbox::table, diesel::dsl::Eq<mail_outbox::id, Uuid>>,
        diesel::dsl::Eq<mail_outbox::lease_id, Uuid>,
    > {
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::lease_id.eq(lease_id))
    }

    /// All messages of the tenant, newest first (for the console and tests).
    pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<QueuedMail>> {
        mail_outbox::table
            .order(mail_outbox::created_at.desc())
            .limit(limit)
            .select(QueuedMail::as_select())
            .load(conn)
            .await
    }
}
