//! Families this node read recently, kept in memory so a repeated read does not wait for PostgreSQL.
//!
//! Kept as read: identifiers stay encrypted until a request decodes them. The database announces every
//! committed change of a family (a trigger, migration `near_families`) and this node drops its copy when
//! it hears it; the node that made the change drops it right after its commit, so its own callers always
//! read their writes. Other nodes may serve the previous version for as long as the notification takes to
//! arrive (about a millisecond). While this node is not listening (connecting, or the connection lost) it
//! keeps nothing and reads every family from the database.
//!
//! The same listening keeps each district's verification index (`sharing::held`).
//!
//! Scope is checked on every read, from the copy as from the database; row-level security applied when the
//! copy was read, and copies are keyed by district. The copies themselves are [`NearCopies`].

use nuanxin_ids::{FamilyId, TenantId};
use std::sync::{Arc, Weak};
use std::time::Duration;

use nuanxin_db::models::family::{FamilyChanged, FamilyRecord, Scope, FAMILY_CHANGED};
use nuanxin_db::notifications::{Heard, Listener};
use nuanxin_db::pool::{DbPool, TxError};

use crate::near::NearCopies;
use crate::sharing::held::{HeldStatus, HeldToday};

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
    pub held: HeldStatus,
}

pub struct NearFamilies {
    copies: NearCopies<(TenantId, FamilyId), Arc<FamilyRecord>>,
    /// What each parent holds today, for verification queries: kept by the same listening.
    held: Arc<HeldToday>,
    capacity: usize,
}

impl NearFamilies {
    /// Keeps at most `capacity` families (0 keeps none) once listening to `database_url` for changes,
    /// which a task on the current runtime does for as long as the returned value lives.
    pub fn start(database_url: String, capacity: usize) -> Arc<NearFamilies> {
        let near = Arc::new(NearFamilies {
            copies: NearCopies::new(u64::try_from(capacity).unwrap_or(u64::MAX), None),
            held: Arc::default(),
            capacity,
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
        tenant_id: TenantId,
        scope: Scope,
        id: FamilyId,
    ) -> Result<Option<Arc<FamilyRecord>>, TxError> {
        if scope == Scope::Nothing {
            return Ok(None);
        }
        let key = (tenant_id, id);
        let seen = self.copies.seen();
        if let Some(copy) = self.copies.get(&key) {
            // An assignment is not in the copy: such a scope asks the database.
            if let Some(admitted) = scope.admits(copy.family.street_id, copy.family.community_id) {
                return Ok(admitted.then_some(copy));
            }
        }
        let Some(record) = FamilyRecord::read_in_scope(pool, tenant_id, scope, id).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        self.copies.keep(key, record.clone(), seen);
        Ok(Some(record))
    }

    /// Drops this node's copy of a family; call after the transaction that changed it committed.
    pub fn forget(&self, tenant_id: TenantId, id: FamilyId) {
        self.heard(FamilyChanged::One(tenant_id, id));
    }

    /// How many families this node keeps now.
    pub fn kept(&self) -> usize {
        self.copies.kept()
    }

    /// What `/metrics` shows of it.
    pub fn status(&self) -> NearStatus {
        NearStatus {
            kept: self.kept(),
            capacity: self.capacity,
            listening: self.is_listening(),
            held: self.held.status(),
        }
    }

    pub fn is_listening(&self) -> bool {
        self.copies.is_listening()
    }

    /// The verification indexes this node keeps by the same listening.
    pub fn held(&self) -> &Arc<HeldToday> {
        &self.held
    }

    fn heard(&self, change: FamilyChanged) {
        match change {
            FamilyChanged::One(tenant_id, id) => {
                self.copies.changed(&(tenant_id, id));
                self.held.changed(tenant_id, id);
            }
            FamilyChanged::Any => {
                self.copies.changed_all();
                self.held.changed_all();
            }
        }
    }

    fn start_listening(&self) {
        self.copies.start_listening();
        self.held.start_listening();
    }

    fn stop_listening(&self) {
        self.copies.stop_listening();
        self.held.stop_listening();
    }
}

/// Listens for family changes for as long as `near` lives; keeps it listening only while connected.
async fn listen(database_url: String, near: Weak<NearFamilies>) {
    loop {
        match Listener::start(&database_url, FAMILY_CHANGED).await {
            Ok(mut listener) => {
                let Some(cache) = near.upgrade() else { return };
                cache.start_listening();
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
