//! Copies this node keeps near (in memory) of rows PostgreSQL holds — sessions, families — dropped when
//! the database announces a change. Bounded and expiring through moka; what is ours is the one rule that
//! makes a copy safe to serve:
//!
//! A copy is kept only while this node listens for changes, and only if no change was heard since the
//! read that produced it began ([`Seen`]). Keeping and hearing a change take the same small lock (reads
//! never do), so a change is either counted before the keep looks, or finds the copy and drops it.

use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use moka::sync::Cache;

/// How many changes had been heard when a read began: its result is kept only if that is still so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen(u64);

pub struct NearCopies<K, V> {
    /// Each copy with the count of changes when it was kept.
    copies: Cache<K, (V, u64)>,
    listening: AtomicBool,
    /// Bumped by every change heard.
    changes: AtomicU64,
    /// The count of changes at the last change of all: a copy kept before it is never served, whatever
    /// moka's own clearing does with copies kept in the same instant.
    cleared_at: AtomicU64,
    /// Orders a keep against a change heard (see the module documentation).
    order: Mutex<()>,
}

impl<K, V> NearCopies<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// At most `capacity` copies, each for at most `time_to_live` if given; none until listening.
    pub fn new(capacity: u64, time_to_live: Option<Duration>) -> NearCopies<K, V> {
        let builder = Cache::builder().max_capacity(capacity);
        let copies = match time_to_live {
            Some(ttl) => builder.time_to_live(ttl).build(),
            None => builder.build(),
        };
        NearCopies {
            copies,
            listening: AtomicBool::new(false),
            changes: AtomicU64::new(0),
            cleared_at: AtomicU64::new(0),
            order: Mutex::new(()),
        }
    }

    /// The copy of `key`, while listening.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.is_listening() {
            return None;
        }
        let (value, kept_at) = self.copies.get(key)?;
        (kept_at >= self.cleared_at.load(Ordering::SeqCst)).then_some(value)
    }

    /// Taken before reading from the database; hand it to [`NearCopies::keep`].
    pub fn seen(&self) -> Seen {
        Seen(self.changes.load(Ordering::SeqCst))
    }

    /// Whether no change was heard since `seen`.
    pub fn unchanged_since(&self, seen: Seen) -> bool {
        self.seen() == seen
    }

    /// Keeps what a read that began at `seen` found, unless a change was heard since or this node is not
    /// listening.
    pub fn keep(&self, key: K, value: V, seen: Seen) {
        let _order = self.order();
        if self.is_listening() && self.unchanged_since(seen) {
            self.copies.insert(key, (value, seen.0));
        }
    }

    /// A change of one row was heard (or made here and committed): its copy goes.
    pub fn changed(&self, key: &K) {
        let _order = self.order();
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.copies.invalidate(key);
    }

    /// A change of any row, or none can be ruled out: every copy goes.
    pub fn changed_all(&self) {
        let _order = self.order();
        let now = self.changes.fetch_add(1, Ordering::SeqCst) + 1;
        self.cleared_at.store(now, Ordering::SeqCst);
        self.copies.invalidate_all();
    }

    /// Listening from now on: nothing read before can be trusted (a change committed meanwhile went
    /// unheard).
    pub fn start_listening(&self) {
        self.listening.store(true, Ordering::SeqCst);
        self.changed_all();
    }

    /// Not listening any more: nothing kept, nothing served.
    pub fn stop_listening(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.changed_all();
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// How many copies are kept now (after moka's pending removals).
    pub fn kept(&self) -> usize {
        self.copies.run_pending_tasks();
        usize::try_from(self.copies.entry_count()).unwrap_or(usize::MAX)
    }

    fn order(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data: a panic elsewhere leaves nothing inconsistent.
        self.order
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> NearCopies<u32, &'static str> {
        let near = NearCopies::new(100, None);
        near.start_listening();
        near
    }

    #[test]
    fn a_copy_is_kept_only_while_listening_and_only_if_nothing_changed_since_its_read() {
        let near = listening();
        let seen = near.seen();
        near.keep(1, "one", seen);
        assert_eq!(near.get(&1), Some("one"));
        // A read that began before a change heard (of any row) keeps nothing.
        let before = near.seen();
        near.changed(&2);
        near.keep(3, "stale", before);
        assert_eq!(near.get(&3), None);
        // Not listening: nothing served, nothing kept.
        near.stop_listening();
        assert_eq!(near.get(&1), None);
        near.keep(4, "four", near.seen());
        near.start_listening();
        assert_eq!(near.get(&4), None);
        assert_eq!(near.kept(), 0);
    }

    #[test]
    fn a_change_drops_its_copy_and_a_change_of_all_drops_every_copy() {
        let near = listening();
        for key in 0..10 {
            near.keep(key, "x", near.seen());
        }
        near.changed(&3);
        assert_eq!(near.get(&3), None);
        assert_eq!(near.get(&4), Some("x"));
        assert_eq!(near.kept(), 9);
        near.changed_all();
        assert!((0..10).all(|k| near.get(&k).is_none()));
        assert_eq!(near.kept(), 0);
    }

    #[test]
    fn copies_are_bounded_and_expire() {
        let near: NearCopies<u32, u32> = NearCopies::new(50, Some(Duration::from_millis(50)));
        near.start_listening();
        for key in 0..1_000 {
            near.keep(key, key, near.seen());
        }
        assert!(near.kept() <= 50, "{} kept", near.kept());
        near.keep(5_000, 1, near.seen());
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(near.get(&5_000), None, "expired");
    }

    /// Keeps racing `change` on another thread, round after round: whichever comes first, the change
    /// was heard after the read began, so no copy may remain.
    fn race(change: fn(&NearCopies<u32, u64>)) {
        use std::sync::Arc;
        let near: Arc<NearCopies<u32, u64>> = Arc::new(NearCopies::new(1_000, None));
        near.start_listening();
        for round in 0..2_000u64 {
            let seen = near.seen();
            let changer = {
                let near = near.clone();
                std::thread::spawn(move || change(&near))
            };
            near.keep(7, round, seen);
            changer.join().unwrap();
            assert_eq!(near.get(&7), None, "round {round}");
        }
    }

    #[test]
    fn a_keep_racing_a_change_never_leaves_a_stale_copy() {
        race(|near| near.changed(&7));
    }

    #[test]
    fn a_keep_racing_a_change_of_all_never_leaves_a_stale_copy() {
        race(NearCopies::changed_all);
    }
}
