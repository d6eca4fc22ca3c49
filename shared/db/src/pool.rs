//! The connection pool and tenant-scoped transactions.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use nuanxin_ids::TenantId;
use thread_local::ThreadLocal;

/// Connections as the service's own role (`nuanxin_app`, subject to row-level security): one small pool
/// per thread that uses it. A connection's I/O task runs on the runtime of the thread that opened it, so
/// with a pool per thread an actix worker's request talks to PostgreSQL without waking another thread,
/// which on a small machine costs more than the query (README "Benchmarks"). Connections open lazily.
#[derive(Clone)]
pub struct DbPool(Arc<PerThread>);

struct PerThread {
    url: String,
    max_per_thread: usize,
    pools: ThreadLocal<Pool<AsyncPgConnection>>,
}

/// A connection checked out of its thread's pool; back to it when dropped.
pub type PooledConnection = Object<AsyncPgConnection>;
pub use diesel_async::pooled_connection::deadpool::PoolError;

/// Pools of at most `max_per_thread` connections each to `url`.
pub fn build_pool(url: &str, max_per_thread: usize) -> Result<DbPool, String> {
    if max_per_thread == 0 {
        return Err("a pool needs at least one connection".into());
    }
    Ok(DbPool(Arc::new(PerThread {
        url: url.to_owned(),
        max_per_thread,
        pools: ThreadLocal::new(),
    })))
}

/// Connection counts over all threads' pools.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStatus {
    pub open: usize,
    pub idle: usize,
    pub max: usize,
}

impl DbPool {
    /// A connection from this thread's pool.
    pub async fn get(&self) -> Result<PooledConnection, PoolError> {
        self.local()?.get().await
    }

    fn local(&self) -> Result<&Pool<AsyncPgConnection>, PoolError> {
        self.0.pools.get_or_try(|| {
            // No "SELECT 1" on every checkout: a dead connection fails its first statement and is
            // discarded, and `/readyz` pings the database on its own.
            let mut config = ManagerConfig::default();
            config.recycling_method = RecyclingMethod::Fast;
            let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
                &self.0.url,
                config,
            );
            Pool::builder(manager)
                .max_size(self.0.max_per_thread)
                .build()
                .map_err(|_| PoolError::NoRuntimeSpecified)
        })
    }

    pub fn status(&self) -> PoolStatus {
        self.0
            .pools
            .iter()
            .fold(PoolStatus::default(), |sum, pool| {
                let s = pool.status();
                PoolStatus {
                    open: sum.open + s.size,
                    idle: sum.idle + s.available,
                    max: sum.max + s.max_size,
                }
            })
    }
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
    tenant_id: TenantId,
}

impl TenantTx {
    /// Opens a transaction on a pooled connection and sets `app.tenant_id` for it alone, in one round trip
    /// (`set_config(.., true)` is transaction-local; a session-level SET would leak through the pool).
    pub async fn begin(pool: &DbPool, tenant_id: TenantId) -> Result<TenantTx, TxError> {
        let mut conn = pool.get().await?;
        // A Uuid prints as hex and dashes only, so it is safe inside the statement text; the simple query
        // protocol that carries BEGIN cannot take bind parameters.
        let sql = format!("BEGIN; SELECT set_config('app.tenant_id', '{tenant_id}', true)");
        AnsiTransactionManager::begin_transaction_sql(&mut *conn, &sql).await?;
        Ok(TenantTx {
            conn: Some(conn),
            tenant_id,
        })
    }

    /// The tenant every row in this transaction belongs to.
    pub fn tenant_id(&self) -> TenantId {
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
