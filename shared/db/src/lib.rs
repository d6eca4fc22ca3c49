//! Nuanxin's one database crate: the diesel schema, the row models and their queries, the connection
//! pool, tenant-scoped transactions (row-level security) and the embedded migrations.
//!
//! Queries return [`diesel::QueryResult`]; callers map errors to their own layer.

pub mod constraint;
pub mod models;
pub mod notifications;
pub mod pool;
pub mod schema;
pub mod scope;

pub use constraint::{on_constraint, Violation, ViolationKind};
pub use diesel::result::Error as DbError;
pub use diesel_async::AsyncPgConnection;
pub use pool::{DbPool, PoolError, TenantTx};

use diesel_async::AsyncMigrationHarness;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// The schema migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Errors of running migrations.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migration failed: {0}")]
    Run(String),
    #[error("the migration task stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Applies pending migrations over a fresh connection to `admin_url` (a role that owns the schema).
/// Returns the versions applied.
pub async fn run_migrations(admin_url: &str) -> Result<Vec<String>, MigrationError> {
    use diesel_async::AsyncConnection;
    let conn = AsyncPgConnection::establish(admin_url).await?;
    // The harness blocks on the async connection; keep that off the async workers.
    tokio::task::spawn_blocking(move || {
        let mut harness = AsyncMigrationHarness::new(conn);
        harness
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| MigrationError::Run(e.to_string()))
    })
    .await?
}

/// Creates the database named in `admin_url` if it does not exist (connecting to the server's
/// `postgres` database to do so). Returns whether it was created.
pub async fn ensure_database(admin_url: &str) -> Result<bool, MigrationError> {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, RunQueryDsl};

    let (server, name) = admin_url
        .rsplit_once('/')
        .map(|(server, rest)| (server, rest.split('?').next().unwrap_or(rest)))
        .ok_or_else(|| MigrationError::Run("database URL has no database name".into()))?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(MigrationError::Run(format!(
            "database name '{name}' must be letters, digits or '_'"
        )));
    }
    let mut conn = AsyncPgConnection::establish(&format!("{server}/postgres")).await?;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        found: i32,
    }
    let exists: Vec<Found> =
        diesel::sql_query("SELECT 1 AS found FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(&mut conn)
            .await
            .map_err(|e| MigrationError::Run(e.to_string()))?;
    if !exists.is_empty() {
        return Ok(false);
    }
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .map_err(|e| MigrationError::Run(e.to_string()))?;
    Ok(true)
}

/// Sets the password of the service's own role (roles are cluster-wide, so this is not a migration).
pub async fn set_app_password(
    admin_url: &str,
    role: &str,
    password: &str,
) -> Result<(), MigrationError> {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    if !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(MigrationError::Run(format!(
            "role name '{role}' must be letters, digits or '_'"
        )));
    }
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    let quoted = password.replace('\'', "''");
    diesel::sql_query(format!("ALTER ROLE {role} PASSWORD '{quoted}'"))
        .execute(&mut conn)
        .await
        .map_err(|e| MigrationError::Run(e.to_string()))?;
    Ok(())
}
