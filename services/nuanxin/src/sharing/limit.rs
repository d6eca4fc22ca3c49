//! The verification rate limit, counted in this process and handed on to Redis in the background.
//!
//! A verification is one indexed read; a Redis round trip on its path would be as long as the read.
//! So each node counts its own hits in memory and decides at once on the district-wide count as it
//! knows it: the cluster's count at the last exchange with Redis plus this node's hits since. When
//! [`SYNC`] has passed since the last exchange, a hit starts the next one off the request's path
//! (INCRBY of the node's new hits, and the cluster's count back). A node sees the other nodes' hits at
//! most `SYNC` and a round trip late: with N nodes a window admits at most the limit plus what the
//! other N−1 nodes admit in one `SYNC` (at 60 a minute and 250 ms, about one request each). On one node
//! the count is exact. While Redis is down the node counts alone and hands its hits on once it is back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::ops::compute::Op;
use moka::sync::Cache;

use crate::cache::{CacheError, Store};

/// The longest a node goes without handing its hits on (while it has any).
pub const SYNC: Duration = Duration::from_millis(250);

/// Keys counted at most (the least used go first).
const CAPACITY: u64 = 100_000;

/// This node's counters, one per limited key (moka: bounded, and a counter nobody hit for longer than
/// a window goes, its window having ended).
pub struct NearLimits {
    window: Duration,
    counters: Cache<String, Counter>,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    /// When this node's window began: answers to hits handed on before it are of an older window.
    began: Instant,
    /// When the window ends as this node knows it (Redis's window once exchanged).
    ends: Instant,
    /// The cluster's count at the last exchange (this node's handed-on hits included).
    cluster: u64,
    /// Hits handed on and not yet answered.
    in_flight: u64,
    /// Hits not yet handed on.
    unsynced: u64,
    synced_at: Option<Instant>,
}

/// What a hit decides: the count it is the n-th of, the seconds left in the window, and the hits to
/// hand on now (when an exchange is due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub count: u64,
    pub retry_after: u64,
    pub hand_on: Option<u64>,
}

impl NearLimits {
    pub fn new(window: Duration) -> NearLimits {
        NearLimits {
            window,
            counters: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_idle(window + 4 * SYNC)
                .build(),
        }
    }

    /// Counts one hit on `key` at `now` (the key's read and write one step: no hit is lost).
    pub fn count(&self, key: &str, now: Instant) -> Hit {
        let fresh = Counter {
            began: now,
            ends: now + self.window,
            cluster: 0,
            in_flight: 0,
            unsynced: 0,
            synced_at: None,
        };
        let mut hit = Hit {
            count: 0,
            retry_after: 1,
            hand_on: None,
        };
        self.counters
            .entry(key.to_owned())
            .and_compute_with(|current| {
                // A new window starts from nothing: what was handed on counts in Redis's old one.
                let mut c = match current.map(|e| e.into_value()) {
                    Some(c) if c.ends > now => c,
                    _ => fresh,
                };
                c.unsynced += 1;
                let due = c.in_flight == 0 && c.synced_at.is_none_or(|at| now >= at + SYNC);
                let hand_on = due.then(|| {
                    c.in_flight = c.unsynced;
                    c.unsynced = 0;
                    c.synced_at = Some(now);
                    c.in_flight
                });
                hit = Hit {
                    count: c.cluster + c.in_flight + c.unsynced,
                    retry_after: c.ends.saturating_duration_since(now).as_secs().max(1),
                    hand_on,
                };
                Op::Put(c)
            });
        hit
    }

    /// The answer to handing on `sent` hits of `key` at `sent_at`: Redis's count and seconds left, or
    /// the failure (the hits are kept to hand on with the next exchange).
    pub fn answered(
        &self,
        key: &str,
        sent: u64,
        sent_at: Instant,
        answer: Result<(u64, u64), CacheError>,
        now: Instant,
    ) {
        self.counters
            .entry(key.to_owned())
            .and_compute_with(|current| {
                let Some(mut c) = current
                    .map(|e| e.into_value())
                    .filter(|c| sent_at >= c.began)
                else {
                    return Op::Nop;
                };
                c.in_flight = c.in_flight.saturating_sub(sent);
                match answer {
                    Ok((cluster, secs_left)) => {
                        c.cluster = cluster;
                        c.ends = now + Duration::from_secs(secs_left);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiting on this node's counts while the cache is down");
                        c.unsynced += sent;
                    }
                }
                Op::Put(c)
            });
    }

    /// Counts one hit on `key` and, when due, hands this node's new hits on to `store` in a task of its
    /// own. Returns the count decided on and the seconds left in the window.
    pub fn hit(self: &Arc<Self>, store: &Arc<Store>, key: String) -> (u64, u64) {
        let sent_at = Instant::now();
        let hit = self.count(&key, sent_at);
        if let Some(sent) = hit.hand_on {
            let (limits, store) = (self.clone(), store.clone());
            tokio::spawn(async move {
                let answer = store.add(&key, sent, limits.window).await;
                limits.answered(&key, sent, sent_at, answer, Instant::now());
            });
        }
        (hit.count, hit.retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn one_node_counts_exactly_and_hands_on_at_most_every_sync() {
        let limits = NearLimits::new(MINUTE);
        let t0 = Instant::now();
        let first = limits.count("k", t0);
        assert_eq!((first.count, first.hand_on), (1, Some(1)));
        // Answers not back yet and the interval not passed: counted near, nothing handed on.
        for n in 2..=5 {
            let hit = limits.count("k", t0 + Duration::from_millis(10 * n));
            assert_eq!((hit.count, hit.hand_on), (n, None));
        }
        limits.answered("k", 1, t0, Ok((1, 59)), t0 + Duration::from_millis(60));
        assert_eq!(limits.count("k", t0 + Duration::from_millis(70)).count, 6);
        // After SYNC the next hit hands on everything not yet handed on.
        let at = t0 + SYNC + Duration::from_millis(1);
        let due = limits.count("k", at);
        assert_eq!((due.count, due.hand_on), (7, Some(6)));
        limits.answered(
            "k",
            6,
            at,
            Ok((7, 59)),
            t0 + SYNC + Duration::from_millis(2),
        );
        assert_eq!(
            limits
                .count("k", t0 + SYNC + Duration::from_millis(3))
                .count,
            8
        );
    }

    #[test]
    fn hits_from_many_threads_at_once_are_all_counted() {
        let limits = Arc::new(NearLimits::new(MINUTE));
        let t0 = Instant::now();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let limits = limits.clone();
                std::thread::spawn(move || {
                    for _ in 0..500 {
                        limits.count("k", t0);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(limits.count("k", t0).count, 4_001);
    }

    #[test]
    fn other_nodes_hits_arrive_with_the_exchange() {
        let limits = NearLimits::new(MINUTE);
        let t0 = Instant::now();
        limits.count("k", t0);
        // Redis had 40 hits of other nodes: the answer brings them in.
        limits.answered("k", 1, t0, Ok((41, 50)), t0);
        let hit = limits.count("k", t0 + Duration::from_millis(1));
        // Redis's window: 50 s left at the answer, 49 whole seconds a moment later.
        assert_eq!((hit.count, hit.retry_after), (42, 49));
    }

    #[test]
    fn hits_that_could_not_be_handed_on_are_kept_and_sent_again() {
        let limits = NearLimits::new(MINUTE);
        let t0 = Instant::now();
        limits.count("k", t0);
        limits.count("k", t0 + Duration::from_millis(1));
        limits.answered(
            "k",
            1,
            t0,
            Err(CacheError::Unavailable("down".into())),
            t0 + Duration::from_millis(2),
        );
        assert_eq!(limits.count("k", t0 + Duration::from_millis(3)).count, 3);
        let again = limits.count("k", t0 + SYNC + Duration::from_millis(1));
        assert_eq!((again.count, again.hand_on), (4, Some(4)));
    }

    #[test]
    fn a_new_window_starts_from_nothing_and_keys_are_apart() {
        let limits = NearLimits::new(MINUTE);
        let t0 = Instant::now();
        for _ in 0..3 {
            limits.count("a", t0);
        }
        assert_eq!(limits.count("b", t0).count, 1);
        let later = limits.count("a", t0 + MINUTE);
        assert_eq!((later.count, later.hand_on), (1, Some(1)));
        // The old window's answer, arriving late, does not count in the new one.
        limits.answered("a", 1, t0, Ok((3, 1)), t0 + MINUTE);
        assert_eq!(limits.count("a", t0 + MINUTE).count, 2);
    }
}
