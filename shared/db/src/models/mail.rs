//! The e-mail outbox: messages written in the transaction that caused them, sent later by the dispatcher.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::mail_outbox;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mail_outbox)]
pub struct NewMail {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct QueuedMail {
    pub tenant_id: Uuid,
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
    pub async fn insert_many(conn: &mut AsyncPgConnection, mails: &[NewMail]) -> QueryResult<()> {
        diesel::insert_into(mail_outbox::table)
            .values(mails)
            .execute(conn)
            .await
            .map(drop)
    }
}

impl QueuedMail {
    /// Due messages, locked for this transaction; a concurrent dispatcher skips them, so none is sent twice.
    pub async fn claim_due(
        conn: &mut AsyncPgConnection,
        limit: i64,
    ) -> QueryResult<Vec<QueuedMail>> {
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::next_try_at.le(diesel::dsl::now))
            .order(mail_outbox::next_try_at)
            .limit(limit)
            .for_update()
            .skip_locked()
            .select(QueuedMail::as_select())
            .load(conn)
            .await
    }

    pub async fn mark_sent(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
        diesel::update(mail_outbox::table.filter(mail_outbox::id.eq(id)))
            .set((
                mail_outbox::sent_at.eq(diesel::dsl::now),
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Records a failed attempt and when to try again.
    pub async fn mark_failed(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        error: &str,
        next_try_at: DateTime<Utc>,
    ) -> QueryResult<()> {
        diesel::update(mail_outbox::table.filter(mail_outbox::id.eq(id)))
            .set((
                mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                mail_outbox::last_error.eq(error),
                mail_outbox::next_try_at.eq(next_try_at),
            ))
            .execute(conn)
            .await
            .map(drop)
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
