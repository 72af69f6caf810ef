//! Storage: one connection type over SQLite and PostgreSQL, the pool, migrations and the async bridge.
//!
//! Every query in the tool is written once with diesel's DSL against [`DbConn`], a
//! `MultiConnection` over both backends. The backend is picked from the URL scheme by
//! [`ConnManager`] (not by `MultiConnection::establish`, which hides the real error).
//! Handlers never call diesel directly: they go through [`DbPool::run`] or
//! [`DbPool::write`], which take a pooled connection on the blocking thread pool; a request
//! does its database work in as few of those calls as it can (each is a thread hand-off).
//!
//! Rule: every query runs through [`RunOnBackend`] (`load_on`, `get_result_on`,
//! `execute_on`), never on `DbConn` itself. Diesel's
//! `MultiConnection` re-serialises a query's whole SQL text at every execution (for the cache
//! check and again for the binds), even for a statement it prepared long ago; matching on the
//! variant runs the same DSL expression on the concrete connection, where a statement with a
//! static query id is found in the cache by its type and its SQL is built once per
//! connection. A test enforces the rule.
//!
//! Rule: no `.first()` with diesel. Diesel binds LIMIT as a parameter, and SQLite
//! re-prepares a statement whose LIMIT is bound at *every* execution (it plans with the
//! value). Unique lookups use `get_result`; short lists are loaded; paged staff lists may use
//! `.limit()` knowingly. A test enforces the rule for `.first()`.

pub mod audit;
pub mod carry_over;
pub mod comments;
pub mod context_launches;
pub mod contexts;
pub mod contracts;
pub mod followup;
pub mod formations;
pub mod grants;
pub mod groups;
pub mod ids;
pub mod keys;
pub mod launches;
pub mod line_items;
pub mod oidc_states;
pub mod outbox;
pub mod platforms;
pub mod questionnaire_drafts;
pub mod questionnaire_versions;
pub mod registration_invites;
pub mod roster;
pub mod schema;
pub mod sessions;
pub mod text;
pub mod users;
pub mod years;

use crate::config::{Backend, redact_url};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Runs a diesel query on the connection's own backend: `query.load_on(conn)` instead of
/// diesel's `load` on `DbConn` (see the module docs for why). Implemented for every type; a query
/// qualifies when diesel can run it on both SQLite and PostgreSQL.
pub trait RunOnBackend: Sized {
    /// `RunQueryDsl::load` on the concrete connection.
    fn load_on<'q, U>(self, conn: &mut DbConn) -> QueryResult<Vec<U>>
    where
        Self: RunQueryDsl<SqliteConnection>
            + RunQueryDsl<PgConnection>
            + LoadQuery<'q, SqliteConnection, U>
            + LoadQuery<'q, PgConnection, U>,
    {
        match conn {
            DbConn::Sqlite(c) => RunQueryDsl::<SqliteConnection>::load(self, c),
            DbConn::Pg(c) => RunQueryDsl::<PgConnection>::load(self, c),
        }
    }

    /// `RunQueryDsl::get_result` on the concrete connection.
    fn get_result_on<'q, U>(self, conn: &mut DbConn) -> QueryResult<U>
    where
        Self: RunQueryDsl<SqliteConnection>
            + RunQueryDsl<PgConnection>
            + LoadQuery<'q, SqliteConnection, U>
            + LoadQuery<'q, PgConnection, U>,
    {
        match conn {
            DbConn::Sqlite(c) => RunQueryDsl::<SqliteConnection>::get_result(self, c),
            DbConn::Pg(c) => RunQueryDsl::<PgConnection>::get_result(self, c),
        }
    }

    /// `RunQueryDsl::execute` on the concrete connection.
    fn execute_on(self, conn: &mut DbConn) -> QueryResult<usize>
    where
        Self: RunQueryDsl<SqliteConnection>
            + RunQueryDsl<PgConnection>
            + ExecuteDsl<SqliteConnection>
            + ExecuteDsl<PgConnection>,
    {
        match conn {
            DbConn::Sqlite(c) => RunQueryDsl::<SqliteConnection>::execute(self, c),
            DbConn::Pg(c) => RunQueryDsl::<PgConnection>::execute(self, c),
        }
    }
}

impl<T> RunOnBackend for T {}

/// The columns of a row type, as a select clause that runs on both backends:
/// `.select(columns::<User>())` where diesel's `as_select()` would tie the query
/// to one backend type (and so to the `MultiConnection` path).
pub fn columns<T: Selectable<diesel::sqlite::Sqlite>>()
-> <T as Selectable<diesel::sqlite::Sqlite>>::SelectExpression {
    T::construct_selection()
}

/// Migrations for SQLite, embedded in the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// Migrations for PostgreSQL, embedded in the binary.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; every query of the tool is written against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database query: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database migrations: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("the blocking database task failed: {0}")]
    Join(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The r2d2 manager: opens the right backend for the URL and prepares SQLite connections.
#[derive(Debug, Clone)]
pub struct ConnManager {
    backend: Backend,
    target: String,
}

impl ConnManager {
    pub fn new(url: &str) -> StoreResult<Self> {
        let (backend, target) =
            Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(redact_url(url)))?;
        Ok(Self { backend, target })
    }
}

/// Statements run on every new SQLite connection.
const SQLITE_INIT: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA synchronous = NORMAL; PRAGMA journal_mode = WAL; \
     PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 20000;";

impl ManageConnection for ConnManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_INIT)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(DbConn::Pg)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// The shared connection pool.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<ConnManager>,
    backend: Backend,
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbPool")
            .field("backend", &self.backend)
            .finish()
    }
}

impl DbPool {
    /// Opens the pool (creating the SQLite file's folder when needed) without migrating.
    pub fn open(url: &str, max_size: u32) -> StoreResult<Self> {
        let manager = ConnManager::new(url)?;
        if manager.backend == Backend::Sqlite {
            let path = std::path::Path::new(&manager.target);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Migration(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        // Fail fast with the backend's own message (the pool would only say "timed out").
        let first = manager
            .connect()
            .map_err(|e| StoreError::Migration(format!("{}: {e}", redact_url(url))))?;
        drop(first);
        let backend = manager.backend;
        let pool = Pool::builder()
            .max_size(max_size)
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build(manager)?;
        Ok(Self { pool, backend })
    }

    /// Opens the pool and applies pending migrations.
    pub fn open_and_migrate(url: &str, max_size: u32) -> StoreResult<Self> {
        let pool = Self::open(url, max_size)?;
        pool.migrate()?;
        Ok(pool)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations of the backend, returning their names.
    pub fn migrate(&self) -> StoreResult<Vec<String>> {
        let mut conn = self.get()?;
        let applied = match &mut *conn {
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
            DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        }
        .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    /// Copies the SQLite write-ahead log back into the database without blocking anyone
    /// (the janitor does it every few seconds, so that requests rarely pay for a checkpoint).
    pub fn checkpoint(&self) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            self.get()?
                .batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?;
        }
        Ok(())
    }

    /// A pooled connection, for synchronous callers (CLI, tests, blocking sections).
    pub fn get(&self) -> StoreResult<PooledConnection<ConnManager>> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConn) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }

    /// Runs `f` inside a write transaction on the blocking thread pool.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut DbConn) -> StoreResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_tx(conn, f)).await
    }
}

/// Runs `f` in a write transaction. On SQLite the transaction starts with `BEGIN IMMEDIATE`
/// so that it takes the write lock up front (a deferred transaction that upgrades to a
/// writer can fail with SQLITE_BUSY without waiting).
pub fn write_tx<T, F>(conn: &mut DbConn, f: F) -> StoreResult<T>
where
    F: FnOnce(&mut DbConn) -> StoreResult<T>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let result = f(conn);
    let end = match (&result, &mut *conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Pg(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (result, end) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Runs the reads of `f` in one read transaction on SQLite (one snapshot, one WAL read lock
/// and one page-cache check instead of one per statement); on PostgreSQL `f` runs as is.
/// `f` must not write: a deferred SQLite transaction that writes can fail with
/// `SQLITE_BUSY` without waiting.
pub fn read_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    E: From<StoreError>,
    F: FnOnce(&mut DbConn) -> Result<T, E>,
{
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")
            .map_err(StoreError::from)?;
        let result = f(conn);
        if let DbConn::Sqlite(c) = conn {
            // Nothing was written: committing only ends the snapshot.
            AnsiTransactionManager::commit_transaction(c).map_err(StoreError::from)?;
        }
        return result;
    }
    f(conn)
}

/// Like [`write_tx`] for callers with their own error type: `f`'s error rolls the
/// transaction back and is returned as is.
pub fn transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    E: From<StoreError>,
    F: FnOnce(&mut DbConn) -> Result<T, E>,
{
    let mut failure = None;
    let result = write_tx(conn, |c| {
        f(c).map_err(|e| {
            failure = Some(e);
            StoreError::Corrupt("rolled back".into())
        })
    });
    match (result, failure) {
        (Ok(v), _) => Ok(v),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(e.into()),
    }
}

/// Checks that the database answers (`SELECT 1`).
pub fn ping(conn: &mut DbConn) -> StoreResult<()> {
    Ok(conn.batch_execute("SELECT 1")?)
}

/// Current time in microseconds since the Unix epoch: the one time unit stored in the database.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// A new random identifier (UUID v7, time-ordered) for a row.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Converts stored microseconds to a UTC date-time.
pub fn micros_to_datetime(micros: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// True when a diesel error is a unique-constraint violation (a concurrent insert won).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
