//! Families this node read recently, kept in memory so a repeated read does not wait for PostgreSQL.
//!
//! Kept as read: identifiers stay encrypted until a request decodes them. The database announces every
//! committed change of a family (a trigger, migration `near_families`) and this node drops its copy when
//! it hears it; the node that made the change drops it right after its commit, so its own callers always
//! read their writes. Other nodes may serve the previous version for as long as the notification takes to
//! arrive (about a millisecond). While this node is not listening (connecting, or the connection lost) it
//! keeps nothing and reads every family from the database.
//!
//! Scope is checked on every read, from the copy as from the database; row-level security applied when the
//! copy was read, and copies are keyed by district.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use nuanxin_db::models::family::{FamilyChanged, FamilyRecord, Scope, FAMILY_CHANGED};
use nuanxin_db::notifications::{Heard, Listener};
use nuanxin_db::pool::{DbPool, TxError};
use uuid::Uuid;

/// A listener that has heard nothing for this long checks its connection.
const QUIET: Duration = Duration::from_secs(5);
/// Pause before listening again after the connection was lost.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// How many families a node keeps, of how many at most, and whether it hears of changes.
#[derive(Debug, Clone, Copy)]
pub struct NearStatus {
    pub kept: usize,
    pub capacity: usize,
    pub listening: bool,
}

pub struct NearFamilies {
    copies: Mutex<HashMap<(Uuid, Uuid), Arc<FamilyRecord>>>,
    capacity: usize,
    listening: AtomicBool,
    /// Bumped by every change heard: a read that started before a change must not keep its copy.
    changes: AtomicU64,
}

impl NearFamilies {
    /// Keeps at most `capacity` families (0 keeps none) once listening to `database_url` for changes,
    /// which a task on the current runtime does for as long as the returned value lives.
    pub fn start(database_url: String, capacity: usize) -> Arc<NearFamilies> {
        let near = Arc::new(NearFamilies {
            copies: Mutex::default(),
            capacity,
            listening: AtomicBool::new(false),
            changes: AtomicU64::new(0),
        });
        if capacity > 0 {
            tokio::spawn(listen(database_url, Arc::downgrade(&near)));
        }
        near
    }

    /// One family if it is inside `scope`: this node's copy, or else from the database (kept near).
    pub async fn read(
        &self,
        pool: &DbPool,
        tenant_id: Uuid,
        scope: Scope,
        id: Uuid,
    ) -> Result<Option<Arc<FamilyRecord>>, TxError> {
        if scope == Scope::Nothing {
            return Ok(None);
        }
        let key = (tenant_id, id);
        let changes = self.changes.load(Ordering::SeqCst);
        if self.is_listening() {
            if let Some(copy) = self.lock().get(&key) {
                // An assignment is not in the copy: such a scope asks the database.
                if let Some(admitted) =
                    scope.admits(copy.family.street_id, copy.family.community_id)
                {
                    return Ok(admitted.then(|| copy.clone()));
                }
            }
        }
        let Some(record) = FamilyRecord::read_in_scope(pool, tenant_id, scope, id).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        self.keep(key, record.clone(), changes);
        Ok(Some(record))
    }

    /// Drops this node's copy of a family; call after the transaction that changed it committed.
    pub fn forget(&self, tenant_id: Uuid, id: Uuid) {
        self.heard(FamilyChanged::One(tenant_id, id));
    }

    /// How many families this node keeps now.
    pub fn kept(&self) -> usize {
        self.lock().len()
    }

    /// What `/metrics` shows of it.
    pub fn status(&self) -> NearStatus {
        NearStatus {
            kept: self.kept(),
            capacity: self.capacity,
            listening: self.is_listening(),
        }
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    fn heard(&self, change: FamilyChanged) {
        // Counted under the lock, so that `keep` sees either the count or no copy to drop.
        let mut copies = self.lock();
        self.changes.fetch_add(1, Ordering::SeqCst);
        match change {
            FamilyChanged::One(tenant_id, id) => {
                copies.remove(&(tenant_id, id));
            }
            FamilyChanged::Any => copies.clear(),
        }
    }

    fn stop_listening(&self) {
        self.listening.store(false, Ordering::SeqCst);
        self.heard(FamilyChanged::Any);
    }

    /// Keeps a family read from the database, unless a change was heard since the read began (`changes`,
    /// the count then) or this node is not listening.
    fn keep(&self, key: (Uuid, Uuid), record: Arc<FamilyRecord>, changes: u64) {
        let mut copies = self.lock();
        if !self.is_listening() || self.changes.load(Ordering::SeqCst) != changes {
            return;
        }
        if copies.len() >= self.capacity {
            // Make room by dropping about a quarter, in the map's arbitrary order: cheaper than tracking
            // recency on every read, and a dropped family is only read from the database once more.
            let mut seen = 0usize;
            copies.retain(|_, _| {
                seen += 1;
                !seen.is_multiple_of(4)
            });
        }
        copies.insert(key, record);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(Uuid, Uuid), Arc<FamilyRecord>>> {
        // Single inserts and removes leave the map consistent even after a panic elsewhere.
        self.copies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Listens for family changes for as long as `near` lives; keeps it listening only while connected.
async fn listen(database_url: String, near: Weak<NearFamilies>) {
    loop {
        match Listener::start(&database_url, FAMILY_CHANGED).await {
            Ok(mut listener) => {
                let Some(cache) = near.upgrade() else { return };
                cache.listening.store(true, Ordering::SeqCst);
                // A read that began before this listener could not hear a change committed meanwhile.
                cache.heard(FamilyChanged::Any);
                drop(cache);
                loop {
                    let heard = listener.next(QUIET).await;
                    let Some(cache) = near.upgrade() else { return };
                    match heard {
                        Ok(Heard::Payload(payload)) => {
                            cache.heard(FamilyChanged::from_payload(&payload))
                        }
                        Ok(Heard::Quiet) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "stopped hearing of family changes; keeping no families near until listening again");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for family changes"),
        }
        let Some(cache) = near.upgrade() else { return };
        cache.stop_listening();
        drop(cache);
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}
