//! The connection pool and tenant-scoped transactions.

use std::ops::{Deref, DerefMut};

use diesel::sql_types::Text;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use uuid::Uuid;

/// A pool of connections as the service's own role (`nuanxin_app`, subject to row-level security).
pub type DbPool = Pool<AsyncPgConnection>;
pub use diesel_async::pooled_connection::deadpool::PoolError;

/// Builds a pool of at most `max_size` connections to `url`. Connections are opened lazily.
pub fn build_pool(url: &str, max_size: usize) -> Result<DbPool, String> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
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
/// Dropped without [`TenantTx::commit`], the transaction is rolled back by the database: the pool
/// discards a connection that comes back inside a transaction, so nothing half-written can leak to the
/// next request.
pub struct TenantTx {
    conn: Object<AsyncPgConnection>,
    tenant_id: Uuid,
}

impl TenantTx {
    /// Opens a transaction on a pooled connection and sets `app.tenant_id` for it alone
    /// (`set_config(.., true)` is transaction-local; a session-level SET would leak through the pool).
    pub async fn begin(pool: &DbPool, tenant_id: Uuid) -> Result<TenantTx, TxError> {
        let mut conn = pool.get().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
        diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
            .bind::<Text, _>(tenant_id.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(TenantTx { conn, tenant_id })
    }

    /// The tenant every row in this transaction belongs to.
    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    /// Commits the transaction.
    pub async fn commit(mut self) -> diesel::QueryResult<()> {
        AnsiTransactionManager::commit_transaction(&mut *self.conn).await
    }
}

impl Deref for TenantTx {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

impl DerefMut for TenantTx {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// Checks that the database answers (for `/readyz`).
pub async fn ping(pool: &DbPool) -> Result<(), TxError> {
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut *conn).await?;
    Ok(())
}
