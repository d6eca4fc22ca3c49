//! The connection pool and tenant-scoped transactions.

use std::ops::{Deref, DerefMut};

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use uuid::Uuid;

/// A pool of connections as the service's own role (`nuanxin_app`, subject to row-level security).
pub type DbPool = Pool<AsyncPgConnection>;
pub use diesel_async::pooled_connection::deadpool::PoolError;

/// Builds a pool of at most `max_size` connections to `url`. Connections are opened lazily.
pub fn build_pool(url: &str, max_size: usize) -> Result<DbPool, String> {
    // No "SELECT 1" on every checkout: a dead connection fails its first statement and is discarded,
    // and `/readyz` pings the database on its own.
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .build()
        .map_err(|e| e.to_string())
}

/// Errors of opening a transaction: no connection to be had, or the database refused.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    #[error("no database connection available: {0}")]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// One transaction whose row-level-security tenant is fixed at its start.
///
/// Dropped without [`TenantTx::commit`], the transaction is rolled back: on a background task when a
/// runtime is at hand (the connection then returns to the pool), otherwise by the database when the pool
/// discards the connection, which it does for any connection that comes back inside a transaction. Nothing
/// half-written can leak to the next request either way.
pub struct TenantTx {
    /// Always `Some` until commit, rollback or drop takes it.
    conn: Option<Object<AsyncPgConnection>>,
    tenant_id: Uuid,
}

impl TenantTx {
    /// Opens a transaction on a pooled connection and sets `app.tenant_id` for it alone, in one round trip
    /// (`set_config(.., true)` is transaction-local; a session-level SET would leak through the pool).
    pub async fn begin(pool: &DbPool, tenant_id: Uuid) -> Result<TenantTx, TxError> {
        Self::begin_with(pool, tenant_id, "").await
    }

    /// Like [`TenantTx::begin`], for transactions whose only write is the audit record of a read: the
    /// commit does not wait for the WAL flush (`synchronous_commit = off`, this transaction only). A
    /// database crash can lose the last fraction of a second of such read records, never a change to data
    /// and never the chain's integrity; in exchange a read does not pay for a disk flush.
    pub async fn begin_audited_read(pool: &DbPool, tenant_id: Uuid) -> Result<TenantTx, TxError> {
        Self::begin_with(pool, tenant_id, "; SET LOCAL synchronous_commit = off").await
    }

    async fn begin_with(pool: &DbPool, tenant_id: Uuid, extra: &str) -> Result<TenantTx, TxError> {
        let mut conn = pool.get().await?;
        // A Uuid prints as hex and dashes only, so it is safe inside the statement text; the simple query
        // protocol that carries BEGIN cannot take bind parameters.
        let sql = format!("BEGIN; SELECT set_config('app.tenant_id', '{tenant_id}', true){extra}");
        AnsiTransactionManager::begin_transaction_sql(&mut *conn, &sql).await?;
        Ok(TenantTx {
            conn: Some(conn),
            tenant_id,
        })
    }

    /// The tenant every row in this transaction belongs to.
    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    fn take(&mut self) -> Option<Object<AsyncPgConnection>> {
        self.conn.take()
    }

    /// Commits the transaction.
    pub async fn commit(mut self) -> diesel::QueryResult<()> {
        match self.take() {
            Some(mut conn) => AnsiTransactionManager::commit_transaction(&mut *conn).await,
            None => Ok(()),
        }
    }

    /// Rolls the transaction back now, keeping the connection for the pool.
    pub async fn rollback(mut self) -> diesel::QueryResult<()> {
        match self.take() {
            Some(mut conn) => AnsiTransactionManager::rollback_transaction(&mut *conn).await,
            None => Ok(()),
        }
    }

    fn conn(&self) -> &AsyncPgConnection {
        match &self.conn {
            Some(conn) => conn,
            // Only commit/rollback (which consume self) and drop take the connection.
            None => unreachable!("TenantTx used after it ended"),
        }
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        if let (Some(mut conn), Ok(runtime)) = (self.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(async move {
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn).await;
            });
        }
    }
}

impl Deref for TenantTx {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        self.conn()
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("TenantTx used after it ended"),
        }
    }
}

/// Checks that the database answers (for `/readyz`).
pub async fn ping(pool: &DbPool) -> Result<(), TxError> {
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut *conn).await?;
    Ok(())
}
