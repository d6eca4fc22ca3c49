//! Where sessions live: PostgreSQL holds every session (migration `sessions`); Redis holds copies, the
//! fast path; each node keeps the sessions it used recently for a few seconds.
//!
//! A session is read from this node's copy, else from Redis, else (Redis missing it, or down) from
//! PostgreSQL, and then put back in Redis. So a Redis outage slows nothing that is kept near, and stops
//! nothing: login, authenticated requests and logout keep working on the database alone.
//!
//! A logout ends the session in PostgreSQL, which announces it on [`SESSION_ENDED`] when it commits;
//! every node listens, drops its copy at once and deletes the Redis copy (so a logout made by a node that
//! cannot reach Redis still removes it). A node keeps copies only while it listens: a node that is not
//! listening (starting, or its connection lost) keeps nothing and reads every session afresh. The row of
//! an ended session stays until the purge job has deleted its Redis copy.

use std::sync::{Arc, Weak};
use std::time::Duration;

use nuanxin_db::models::session::{self as rows, NewSession, SESSION_ENDED};
use nuanxin_db::notifications::{Heard, Listener};
use nuanxin_db::pool::DbPool;
use sha2::{Digest, Sha256};

use super::Session;
use crate::cache::Store;
use crate::near::NearCopies;

/// How long this node keeps a session it read, at most (an ended session is dropped at once).
const NEAR_TTL: Duration = Duration::from_secs(10);
/// A listener that has heard nothing for this long checks its connection.
const QUIET: Duration = Duration::from_secs(5);
/// Pause before listening again after the connection was lost.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);
/// Sessions kept per node at most (the least used go first).
const NEAR_CAPACITY: u64 = 100_000;

/// What went wrong reaching the session store of record.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session database: {0}")]
    Database(String),
    #[error("session encoding: {0}")]
    Encoding(#[from] serde_json::Error),
}

/// A token's identity in every store: the SHA-256 of the token, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    fn from_hex(hex: &str) -> Option<TokenHash> {
        let bytes = hex::decode(hex).ok()?;
        Some(TokenHash(<[u8; 32]>::try_from(bytes.as_slice()).ok()?))
    }

    /// The key of the Redis copy.
    fn cache_key(&self) -> String {
        format!("session:{}", hex::encode(self.0))
    }
}

/// The sessions of this node: its near copies and the listener that keeps them honest.
pub struct Sessions {
    /// An end heard drops the copy; a read that began before an end keeps and restores nothing.
    near: NearCopies<TokenHash, Arc<Session>>,
    /// Where the Redis copies are: this node deletes the copy of every end it hears of.
    store: Weak<Store>,
}

impl Sessions {
    /// Starts listening to `database_url` for ended sessions (a task on the current runtime, for as long
    /// as the returned value lives); the Redis copies of ended sessions are deleted through `store`.
    pub fn start(database_url: String, store: &Arc<Store>) -> Arc<Sessions> {
        let sessions = Arc::new(Sessions {
            near: NearCopies::new(NEAR_CAPACITY, Some(NEAR_TTL)),
            store: Arc::downgrade(store),
        });
        tokio::spawn(listen(database_url, Arc::downgrade(&sessions)));
        sessions
    }

    /// Whether this node hears of ended sessions, and so keeps copies.
    pub fn is_listening(&self) -> bool {
        self.near.is_listening()
    }

    /// How many sessions this node keeps now.
    pub fn kept(&self) -> usize {
        self.near.kept()
    }

    /// Stores a new session under `token`'s hash: in PostgreSQL (required), then in Redis (best effort).
    pub async fn open(
        &self,
        pool: &DbPool,
        store: &Store,
        token: &str,
        session: &Session,
        ttl: Duration,
    ) -> Result<(), SessionError> {
        let hash = TokenHash::of(token);
        let body = serde_json::to_string(session)?;
        let expires_at = chrono::DateTime::from_timestamp(session.expires_at, 0)
            .ok_or_else(|| SessionError::Database("expiry out of range".into()))?;
        let mut conn = pool.get().await.map_err(database)?;
        NewSession {
            token_hash: &hash.0,
            user_id: session.user_id,
            body: &body,
            expires_at,
        }
        .insert(&mut conn)
        .await
        .map_err(database)?;
        if let Err(e) = store.set_ex(&hash.cache_key(), &body, ttl).await {
            tracing::debug!(error = %e, "session stored without its Redis copy");
        }
        Ok(())
    }

    /// The live session of a token, if any (expiry is the caller's check: a copy may outlive it).
    pub async fn find(
        &self,
        pool: &DbPool,
        store: &Store,
        hash: &TokenHash,
    ) -> Result<Option<Arc<Session>>, SessionError> {
        let seen = self.near.seen();
        if let Some(session) = self.near.get(hash) {
            return Ok(Some(session));
        }
        let key = hash.cache_key();
        let cached = store.get(&key).await;
        let body = match &cached {
            Ok(Some(body)) => Some(body.clone()),
            Ok(None) | Err(_) => {
                let mut conn = pool.get().await.map_err(database)?;
                rows::find(&mut conn, &hash.0).await.map_err(database)?
            }
        };
        let Some(body) = body else { return Ok(None) };
        let Ok(session) = serde_json::from_str::<Session>(&body) else {
            return Ok(None);
        };
        let session = Arc::new(session);
        if self.near.unchanged_since(seen) {
            if matches!(cached, Ok(None)) {
                // Redis answered but lacked it (restarted, or down when it was opened): put it back.
                let left = session.expires_at - chrono::Utc::now().timestamp();
                if let Ok(left @ 1..) = u64::try_from(left) {
                    let _ = store.set_ex(&key, &body, Duration::from_secs(left)).await;
                }
            }
            self.near.keep(hash.clone(), session.clone(), seen);
        }
        Ok(Some(session))
    }

    /// Ends a token's session: in PostgreSQL (required; every node hears of it), here, and in Redis.
    pub async fn end(
        &self,
        pool: &DbPool,
        store: &Store,
        hash: &TokenHash,
    ) -> Result<(), SessionError> {
        let mut conn = pool.get().await.map_err(database)?;
        rows::end(&mut conn, &hash.0).await.map_err(database)?;
        self.heard_end(Some(hash));
        if let Err(e) = store.delete(&hash.cache_key()).await {
            tracing::debug!(error = %e, "session ended; its Redis copy goes with the purge job");
        }
        Ok(())
    }

    /// After sessions ended in the database (`models::session::end_of_user`, committed): drops this
    /// node's and Redis's copies at once, as [`Sessions::end`] does for one.
    pub async fn forget_ended(&self, store: &Store, hashes: Vec<Vec<u8>>) {
        for hash in hashes
            .into_iter()
            .filter_map(|h| <[u8; 32]>::try_from(h).ok())
        {
            let hash = TokenHash(hash);
            self.heard_end(Some(&hash));
            if let Err(e) = store.delete(&hash.cache_key()).await {
                tracing::debug!(error = %e, "session ended; its Redis copy goes with the purge job");
            }
        }
    }

    /// Deletes the Redis copies of ended sessions and the rows of expired ones and of ended ones whose
    /// copies are gone (the purge job); returns how many rows were deleted.
    pub async fn purge(pool: &DbPool, store: &Store) -> Result<i64, SessionError> {
        const BATCH: i32 = 1000;
        let mut conn = pool.get().await.map_err(database)?;
        let ended = rows::ended(&mut conn, BATCH).await.map_err(database)?;
        let mut gone = Vec::with_capacity(ended.len());
        for hash in ended {
            let Ok(bytes) = <[u8; 32]>::try_from(hash.as_slice()) else {
                continue;
            };
            if store.delete(&TokenHash(bytes).cache_key()).await.is_ok() {
                gone.push(hash);
            }
        }
        rows::purge(&mut conn, &gone).await.map_err(database)
    }

    /// An end heard: of one session, or (None) of any.
    fn heard_end(&self, hash: Option<&TokenHash>) {
        match hash {
            Some(hash) => self.near.changed(hash),
            None => self.near.changed_all(),
        }
    }
}

fn database(e: impl std::fmt::Display) -> SessionError {
    SessionError::Database(e.to_string())
}

/// Listens for ended sessions for as long as `sessions` lives; keeps copies only while connected.
async fn listen(database_url: String, sessions: Weak<Sessions>) {
    loop {
        match Listener::start(&database_url, SESSION_ENDED).await {
            Ok(mut listener) => {
                let Some(this) = sessions.upgrade() else {
                    return;
                };
                this.near.start_listening();
                drop(this);
                loop {
                    let heard = listener.next(QUIET).await;
                    let Some(this) = sessions.upgrade() else {
                        return;
                    };
                    match heard {
                        Ok(Heard::Payload(payload)) => match TokenHash::from_hex(&payload) {
                            Some(hash) => {
                                this.heard_end(Some(&hash));
                                // The node that ended it may not reach Redis; this one may.
                                if let Some(store) = this.store.upgrade() {
                                    let _ = store.delete(&hash.cache_key()).await;
                                }
                            }
                            None => this.heard_end(None),
                        },
                        Ok(Heard::Quiet) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "stopped hearing of ended sessions; keeping none near until listening again");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for ended sessions"),
        }
        let Some(this) = sessions.upgrade() else {
            return;
        };
        this.near.stop_listening();
        drop(this);
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}
