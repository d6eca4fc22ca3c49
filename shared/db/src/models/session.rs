//! Sessions in PostgreSQL (migration `sessions`): the service's role reaches them only through
//! functions that take one token hash, never the table.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Bytea, Integer, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use nuanxin_ids::UserId;

diesel::define_sql_function! {
    fn session_open(hash: Bytea, user_id: SqlUuid, body: Text, expires_at: Timestamptz) -> diesel::sql_types::Bool;
}
diesel::define_sql_function! {
    fn session_find(hash: Bytea) -> diesel::sql_types::Nullable<Text>;
}
diesel::define_sql_function! {
    fn session_end(hash: Bytea) -> diesel::sql_types::Bool;
}
diesel::define_sql_function! {
    fn sessions_end_of_user(user_id: SqlUuid) -> Bytea;
}
diesel::define_sql_function! {
    fn sessions_purge(ended: Array<Bytea>) -> diesel::sql_types::BigInt;
}
diesel::define_sql_function! {
    #[sql_name = "sessions_ended"]
    fn sessions_ended_fn(limit: Integer) -> Bytea;
}

/// The channel on which every ended session is announced; the payload is its token hash in hex.
pub const SESSION_ENDED: &str = "nuanxin_session_ended";

/// A new session: its token hash, who it is for, its serialized form (with its district) and its expiry.
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    pub user_id: UserId,
    pub body: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl NewSession<'_> {
    pub async fn insert(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::select(session_open(
            self.token_hash,
            self.user_id,
            self.body,
            self.expires_at,
        ))
        .execute(conn)
        .await
        .map(drop)
    }
}

/// The serialized live session of a token hash (None: unknown, expired or ended).
pub async fn find(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> diesel::QueryResult<Option<String>> {
    diesel::select(session_find(token_hash))
        .get_result(conn)
        .await
}

/// Ends a session (announced on [`SESSION_ENDED`] at commit); true if it was live.
pub async fn end(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> diesel::QueryResult<bool> {
    diesel::select(session_end(token_hash))
        .get_result(conn)
        .await
}

/// Ends every live session of a user (announced to every node when the transaction commits); their
/// token hashes.
pub async fn end_of_user(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> diesel::QueryResult<Vec<Vec<u8>>> {
    diesel::select(sessions_end_of_user(user)).load(conn).await
}

/// Up to `limit` ended sessions whose Redis copies may remain.
pub async fn ended(conn: &mut AsyncPgConnection, limit: i32) -> diesel::QueryResult<Vec<Vec<u8>>> {
    diesel::select(sessions_ended_fn(limit)).load(conn).await
}

/// Deletes every expired session and the ended ones in `ended` (their copies are gone); returns how many.
pub async fn purge(conn: &mut AsyncPgConnection, ended: &[Vec<u8>]) -> diesel::QueryResult<i64> {
    diesel::select(sessions_purge(ended)).get_result(conn).await
}
