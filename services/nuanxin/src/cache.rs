//! Session copies, rate-limit counters and small caches: in Redis when one is configured, else in this
//! process.
//!
//! Redis is a cache: sessions live in PostgreSQL too (`auth::session`). With Redis configured but
//! unreachable the service degrades rather than stops: reads of it miss, writes are skipped by their
//! callers, and rate limiting falls back to this node's own counters. After a failed connection Redis is
//! not tried again for a second, so a Redis that hangs costs a request nothing but that second's first
//! attempt. `/readyz` reports the cache as down meanwhile.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::AsyncCommands;
use tokio::sync::RwLock;

/// Redis calls give up after this long, so a hung Redis cannot hang requests.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failed connection, Redis is not tried again for this long.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

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
    /// Set by a failed connection: no new attempt before then.
    retry_at: Mutex<Option<Instant>>,
    /// Used for rate limits while Redis is down.
    fallback: LocalStore,
}

/// The in-process store: each value with the instant it ends, bounded (the least used go first past
/// [`LOCAL_CAPACITY`]) and expiring at that instant, through moka.
pub struct LocalStore {
    entries: moka::sync::Cache<String, (String, Instant)>,
}

/// Keys the in-process store holds at most.
const LOCAL_CAPACITY: u64 = 100_000;

/// A value lives until the instant stored with it.
struct UntilItEnds;

impl moka::Expiry<String, (String, Instant)> for UntilItEnds {
    fn expire_after_create(
        &self,
        _: &String,
        value: &(String, Instant),
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.1.saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _: &String,
        value: &(String, Instant),
        updated_at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.1.saturating_duration_since(updated_at))
    }
}

impl Default for LocalStore {
    fn default() -> LocalStore {
        LocalStore {
            entries: moka::sync::Cache::builder()
                .max_capacity(LOCAL_CAPACITY)
                .expire_after(UntilItEnds)
                .build(),
        }
    }
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
        Ok(Store::Redis(Box::new(RedisStore {
            client,
            namespace: namespace.to_owned(),
            conn: RwLock::new(None),
            retry_at: Mutex::new(None),
            fallback: LocalStore::default(),
        })))
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
                let key = r.key(key);
                r.run(|mut c| async move { c.del(key).await }).await
            }
        }
    }

    /// Adds one to the counter at `key` (created at 1), kept for `ttl`; returns the new value.
    pub async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, CacheError> {
        match self {
            Store::Local(l) => Ok(l.add(key, 1, ttl).0),
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
            Store::Local(l) => l.add(key, 1, window),
            Store::Redis(r) => match r.add(key, 1, window).await {
                Ok(counted) => counted,
                Err(e) => {
                    tracing::warn!(error = %e, "rate limiting on local counters while the cache is down");
                    r.fallback.add(&r.key(key), 1, window)
                }
            },
        }
    }

    /// Adds `n` hits on `key` in a fixed window (a node's hits counted near, handed on at once); returns
    /// the count and the seconds left in the window. Unlike [`Store::hit`] it fails while Redis is down,
    /// so the caller keeps its hits to hand on later.
    pub async fn add(&self, key: &str, n: u64, window: Duration) -> Result<(u64, u64), CacheError> {
        match self {
            Store::Local(l) => Ok(l.add(key, n, window)),
            Store::Redis(r) => r.add(key, n, window).await,
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

impl RedisStore {
    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    /// INCRBY in a window that starts with the first hit: the count and the seconds left.
    async fn add(&self, key: &str, n: u64, window: Duration) -> Result<(u64, u64), CacheError> {
        let secs = window.as_secs().max(1);
        let namespaced = self.key(key);
        let key = namespaced.as_str();
        let (count, ttl): (u64, i64) = self
            .run(|mut c| async move {
                redis::pipe()
                    .atomic()
                    .incr(key, n)
                    .cmd("EXPIRE")
                    .arg(key)
                    .arg(secs)
                    .arg("NX")
                    .ignore()
                    .ttl(key)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok((count, u64::try_from(ttl).unwrap_or(secs)))
    }

    async fn connection(&self) -> Result<MultiplexedConnection, CacheError> {
        if let Some(c) = self.conn.read().await.as_ref() {
            return Ok(c.clone());
        }
        if self.waiting_to_reconnect() {
            return Err(CacheError::Unavailable("reconnecting".into()));
        }
        let mut slot = self.conn.write().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let connected = tokio::time::timeout(
            REDIS_TIMEOUT,
            self.client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| CacheError::Unavailable("connect timed out".into()))
        .and_then(|c| c.map_err(|e| CacheError::Unavailable(e.to_string())));
        match connected {
            Ok(conn) => {
                *slot = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => {
                *self.lock_retry() = Some(Instant::now() + RECONNECT_AFTER);
                Err(e)
            }
        }
    }

    fn waiting_to_reconnect(&self) -> bool {
        let mut retry_at = self.lock_retry();
        match *retry_at {
            Some(at) if Instant::now() < at => true,
            Some(_) => {
                *retry_at = None;
                false
            }
            None => false,
        }
    }

    fn lock_retry(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // An Option<Instant> is consistent whatever panicked while holding it.
        self.retry_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
    fn get(&self, key: &str) -> Option<String> {
        let now = Instant::now();
        self.entries
            .get(key)
            .filter(|(_, ends)| *ends > now)
            .map(|(value, _)| value)
    }

    fn set(&self, key: &str, value: &str, ttl: Duration) {
        self.entries
            .insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
    }

    fn remove(&self, key: &str) {
        self.entries.invalidate(key);
    }

    /// Adds `n` to the counter `key` of a `window` that starts with its first hit; the count and the
    /// seconds left. One key's read and write are one step (moka's compute), so no hit is lost.
    fn add(&self, key: &str, n: u64, window: Duration) -> (u64, u64) {
        use moka::ops::compute::Op;
        let now = Instant::now();
        let mut counted = (n, now + window);
        self.entries
            .entry(key.to_owned())
            .and_compute_with(|current| {
                if let Some((count, ends)) = current.map(|e| e.into_value()) {
                    if ends > now {
                        counted = (count.parse::<u64>().unwrap_or(0) + n, ends);
                    }
                }
                Op::Put((counted.0.to_string(), counted.1))
            });
        (
            counted.0,
            counted.1.saturating_duration_since(now).as_secs().max(1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_lives_until_its_end() {
        let store = LocalStore::default();
        store.set("k", "v", Duration::from_millis(60));
        assert_eq!(store.get("k").as_deref(), Some("v"));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(store.get("k"), None);
        store.set("k", "v", Duration::from_secs(60));
        store.remove("k");
        assert_eq!(store.get("k"), None);
    }

    #[test]
    fn a_counter_counts_within_its_window_and_starts_again_after_it() {
        let store = LocalStore::default();
        let window = Duration::from_millis(150);
        assert_eq!(store.add("c", 1, window).0, 1);
        assert_eq!(store.add("c", 2, window).0, 3);
        assert_eq!(store.add("other", 1, window).0, 1, "keys are apart");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(store.add("c", 1, window).0, 1, "a new window");
    }

    #[test]
    fn hits_from_many_threads_at_once_are_all_counted() {
        let store = std::sync::Arc::new(LocalStore::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        store.add("c", 1, Duration::from_secs(60));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(store.add("c", 0, Duration::from_secs(60)).0, 4_000);
    }
}
