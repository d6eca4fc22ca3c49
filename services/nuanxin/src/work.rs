//! A request's unit of work: one tenant transaction, and what may happen only once it has committed —
//! dropping this node's copy of a changed family, marking cached list totals stale. Registered on the
//! work as the change is made, run by [`Work::commit`]; a work dropped without commit rolls back and
//! runs none of them.

use nuanxin_ids::FamilyId;
use std::ops::{Deref, DerefMut};

use nuanxin_db::pool::{TenantTx, TxError};
use nuanxin_db::AsyncPgConnection;

use crate::registry::counts;
use crate::state::AppState;

/// Work that waits for the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCommit {
    /// A family changed: this node drops its copy at once (other nodes hear of it from the database).
    FamilyChanged(FamilyId),
    /// The register changed: every cached list total of the district is stale.
    RegisterChanged,
}

pub struct Work<'s> {
    tx: TenantTx,
    after: Vec<AfterCommit>,
    state: &'s AppState,
}

impl<'s> Work<'s> {
    pub fn new(state: &'s AppState, tx: TenantTx) -> Work<'s> {
        Work {
            tx,
            after: Vec::new(),
            state,
        }
    }

    /// Runs `hook` once the work has committed (once, however often it is registered).
    pub fn after_commit(&mut self, hook: AfterCommit) {
        if !self.after.contains(&hook) {
            self.after.push(hook);
        }
    }

    /// Commits, then runs what waited for it.
    pub async fn commit(self) -> Result<(), TxError> {
        let tenant = self.tx.tenant_id();
        self.tx.commit().await?;
        for hook in self.after {
            match hook {
                AfterCommit::FamilyChanged(id) => self.state.near_families.forget(tenant, id),
                AfterCommit::RegisterChanged => {
                    counts::register_changed(&self.state.store, tenant).await
                }
            }
        }
        Ok(())
    }
}

impl Deref for Work<'_> {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.tx
    }
}

impl DerefMut for Work<'_> {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.tx
    }
}
