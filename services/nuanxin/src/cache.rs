//! Sessions, rate-limit counters and small caches: in Redis when one is configured, else in this process.
//!
//! With Redis configured but unreachable the service degrades rather than stops: rate limiting falls back
//! to this node's own counters, while session operations fail with 503 (a session cannot be trusted or
//! created without the shared store). `/readyz` reports the cache as down meanwhile.
//!
//! Values read through [`Store::get_near`] (sessions) are also kept on this node for a few seconds, so a
//! request does not wait for Redis. Every delete is published on `<namespace>:deleted`; each node follows
//! that channel and drops the key at once, and while a node is not following it (Redis down, reconnecting)
//! it keeps nothing near. A logout on one node therefore holds on every node within milliseconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use tokio::sync::RwLock;

/// Redis calls give up after this long, so a hung Redis cannot hang requests.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a value read from Redis is kept on this node at most (deletes drop it sooner).
const NEAR_TTL: Duration = Duration::from_secs(10);
/// Pause before following the delete channel again after losing it.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
}

/// The key-value store behind sessions and counters.
pub enum Store {
    Redis(Box<RedisStore>),
    Local(LocalStore),
}

pub struct RedisStore {
    client: redis::Client,
    namespace: String,
    conn: RwLock<Option<MultiplexedConnection>>,
    /// Used for rate limits while Redis is down.
    fallback: LocalStore,
    near: Arc<NearCache>,
}

/// Values recently read from Redis, valid only while this node follows the delete channel.
#[derive(Default)]
struct NearCache {
    entries: LocalStore,
    following: AtomicBool,
    /// Bumped by every delete seen: a read that started before a delete must not fill the cache.
    deletes: AtomicU64,
}

impl NearCache {
    fn forget(&self, key: &str) {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        self.entries.remove(key);
    }

    fn forget_all(&self) {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().clear();
    }

    fn stop_following(&self) {
        self.following.store(false, Ordering::SeqCst);
        self.forget_all();
    }
}

#[derive(Default)]
pub struct LocalStore {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl Store {
    /// A Redis-backed store for `url`, or the in-process one when `url` is empty.
    /// Does not connect yet: a Redis that is down at start is retried on use.
    pub fn new(url: &str, namespace: &str) -> Result<Store, CacheError> {
        if url.trim().is_empty() {
            return Ok(Store::Local(LocalStore::default()));
        }
        let client =
            redis::Client::open(url).map_err(|e| CacheError::Unavailable(e.to_string()))?;
        let near = Arc::new(NearCache::default());
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(follow_deletes(
                client.clone(),
                deletes_channel(namespace),
                Arc::downgrade(&near),
            ));
        }
        Ok(Store::Redis(Box::new(RedisStore {
            client,
            namespace: namespace.to_owned(),
            conn: RwLock::new(None),
            fallback: LocalStore::default(),
            near,
        })))
    }

    /// Whether values read through [`Store::get_near`] may be kept on this node now.
    pub fn keeps_values_near(&self) -> bool {
        match self {
            Store::Local(_) => true,
            Store::Redis(r) => r.near.following.load(Ordering::SeqCst),
        }
    }

    /// Like [`Store::get`], served from this node when it read the key recently (see the module notes).
    pub async fn get_near(&self, key: &str) -> Result<Option<String>, CacheError> {
        let Store::Redis(r) = self else {
            return self.get(key).await;
        };
        let near = &r.near;
        if !near.following.load(Ordering::SeqCst) {
            return self.get(key).await;
        }
        if let Some(value) = near.entries.get(key) {
            return Ok(Some(value));
        }
        let deletes = near.deletes.load(Ordering::SeqCst);
        let value = self.get(key).await?;
        if let Some(value) = &value {
            if near.following.load(Ordering::SeqCst)
                && near.deletes.load(Ordering::SeqCst) == deletes
            {
                near.entries.set(key, value, NEAR_TTL);
            }
        }
        Ok(value)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Redis(_) => "redis",
            Store::Local(_) => "in-process",
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self {
            Store::Local(l) => Ok(l.get(key)),
            Store::Redis(r) => {
                let key = r.key(key);
                r.run(|mut c| async move { c.get(key).await }).await
            }
        }
    }

    pub async fn set_ex(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        match self {
            Store::Local(l) => {
                l.set(key, value, ttl);
                Ok(())
            }
            Store::Redis(r) => {
                let secs = ttl.as_secs().max(1);
                let key = r.key(key);
                r.run(|mut c| async move { c.set_ex(key, value, secs).await })
                    .await
            }
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Store::Local(l) => {
                l.remove(key);
                Ok(())
            }
            Store::Redis(r) => {
                r.near.forget(key);
                let namespaced = r.key(key);
                let channel = deletes_channel(&r.namespace);
                r.run(|mut c| async move {
                    redis::pipe()
                        .atomic()
                        .del(&namespaced)
                        .ignore()
                        .publish(channel, key)
                        .ignore()
                        .query_async(&mut c)
                        .await
                })
                .await
            }
        }
    }

    /// Adds one to the counter at `key` (created at 1), kept for `ttl`; returns the new value.
    pub async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, CacheError> {
        match self {
            Store::Local(l) => Ok(l.hit(key, ttl).0),
            Store::Redis(r) => {
                let secs = ttl.as_secs().max(1);
                let key = r.key(key);
                r.run(|mut c| async move {
                    let (n,): (u64,) = redis::pipe()
                        .atomic()
                        .incr(&key, 1u64)
                        .expire(&key, secs as i64)
                        .ignore()
                        .query_async(&mut c)
                        .await?;
                    Ok(n)
                })
                .await
            }
        }
    }

    /// Counts one more hit on `key` in a fixed window; returns the count and the seconds left in the window.
    /// Never fails: while Redis is down, this node counts on its own.
    pub async fn hit(&self, key: &str, window: Duration) -> (u64, u64) {
        match self {
            Store::Local(l) => l.hit(key, window),
            Store::Redis(r) => {
                let secs = window.as_secs().max(1);
                let namespaced = r.key(key);
                let key = namespaced.as_str();
                let counted: Result<(u64, i64), CacheError> = r
                    .run(|mut c| async move {
                        redis::pipe()
                            .atomic()
                            .incr(key, 1u64)
                            .cmd("EXPIRE")
                            .arg(key)
                            .arg(secs)
                            .arg("NX")
                            .ignore()
                            .ttl(key)
                            .query_async(&mut c)
                            .await
                    })
                    .await;
                match counted {
                    Ok((count, ttl)) => (count, u64::try_from(ttl).unwrap_or(secs)),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiting on local counters while the cache is down");
                        r.fallback.hit(key, window)
                    }
                }
            }
        }
    }

    /// The current count of a [`Store::hit`] counter (0 when none); like `hit`, never fails.
    pub async fn count(&self, key: &str) -> u64 {
        let read = match self {
            Store::Local(l) => l.get(key),
            Store::Redis(r) => {
                let namespaced = r.key(key);
                let k = namespaced.clone();
                match r
                    .run(|mut c| async move { c.get::<_, Option<String>>(k).await })
                    .await
                {
                    Ok(v) => v,
                    Err(_) => r.fallback.get(&namespaced),
                }
            }
        };
        read.and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub async fn ping(&self) -> Result<(), CacheError> {
        match self {
            Store::Local(_) => Ok(()),
            Store::Redis(r) => r
                .run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
                .await
                .map(drop),
        }
    }
}

fn deletes_channel(namespace: &str) -> String {
    format!("{namespace}:deleted")
}

/// Follows the delete channel for as long as the store exists, dropping deleted keys from the near cache;
/// while not subscribed, the near cache keeps nothing.
async fn follow_deletes(client: redis::Client, channel: String, near: std::sync::Weak<NearCache>) {
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        if let Ok(Ok(mut pubsub)) = tokio::time::timeout(REDIS_TIMEOUT, subscribed).await {
            let Some(cache) = near.upgrade() else { return };
            cache.following.store(true, Ordering::SeqCst);
            drop(cache);
            let mut messages = pubsub.on_message();
            while let Some(message) = messages.next().await {
                let Some(cache) = near.upgrade() else { return };
                match message.get_payload::<String>() {
                    Ok(key) => cache.forget(&key),
                    Err(_) => cache.forget_all(),
                }
            }
        }
        let Some(cache) = near.upgrade() else { return };
        cache.stop_following();
        drop(cache);
        tokio::time::sleep(RESUBSCRIBE_AFTER).await;
    }
}

impl RedisStore {
    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    async fn connection(&self) -> Result<MultiplexedConnection, CacheError> {
        if let Some(c) = self.conn.read().await.as_ref() {
            return Ok(c.clone());
        }
        let mut slot = self.conn.write().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let conn = tokio::time::timeout(
            REDIS_TIMEOUT,
            self.client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| CacheError::Unavailable("connect timed out".into()))?
        .map_err(|e| CacheError::Unavailable(e.to_string()))?;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    async fn run<T, F, Fut>(&self, op: F) -> Result<T, CacheError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(REDIS_TIMEOUT, op(conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                    *self.conn.write().await = None;
                }
                Err(CacheError::Unavailable(e.to_string()))
            }
            Err(_) => {
                *self.conn.write().await = None;
                Err(CacheError::Unavailable("timed out".into()))
            }
        }
    }
}

impl LocalStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        // A panic while holding the lock leaves consistent data (single inserts/removes): keep using it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        let mut entries = self.lock();
        match entries.get(key) {
            Some((v, expires)) if *expires > now => Some(v.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn set(&self, key: &str, value: &str, ttl: Duration) {
        let mut entries = self.lock();
        if entries.len() > 100_000 {
            let now = Instant::now();
            entries.retain(|_, (_, expires)| *expires > now);
        }
        entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
    }

    fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    fn hit(&self, key: &str, window: Duration) -> (u64, u64) {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries
            .entry(key.to_owned())
            .or_insert_with(|| ("0".into(), now + window));
        if entry.1 <= now {
            *entry = ("0".into(), now + window);
        }
        let count = entry.0.parse::<u64>().unwrap_or(0) + 1;
        entry.0 = count.to_string();
        (
            count,
            entry.1.saturating_duration_since(now).as_secs().max(1),
        )
    }
}
