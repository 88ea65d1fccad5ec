//! The SQLite implementation of roster's store contract ([`roster_core::store`]).
//!
//! One database file in WAL mode, used through two pools: a single writer connection, on
//! which every write transaction runs (`BEGIN IMMEDIATE`, so writers queue for the connection
//! instead of failing on a lock upgrade), and a few `query_only` reader connections for read
//! transactions, which WAL lets run beside the writer.

mod audit;
mod batch;
mod bulk;
mod changes;
mod error;
mod factors;
mod filters;
mod grants;
mod groups;
mod org;
mod projects;
mod resources;
mod rows;
mod settings;
mod snapshot;
mod throttle;
mod tokens;
mod tx;
mod users;
mod verify;

use crate::error::{db_err, migrate_err};
use crate::tx::SqliteTx;
use async_trait::async_trait;
use roster_core::model::User;
use roster_core::store::{
    AccessWatch, BatchWrite, BulkLoad, Store, StoreError, StoreResult, StoreTx,
};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;

/// The schema, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How many read transactions may run at once.
const READERS: u32 = 4;

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Rows per index that `PRAGMA optimize` samples when it refreshes the planner's statistics,
/// which keeps it quick on large tables.
const ANALYSIS_LIMIT: u32 = 1000;

/// The writer's page cache, in KiB (SQLite's default is 2 MiB). Bulk loads insert into large
/// B-trees at scattered places; with a small cache each insert goes back to the OS.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// Each reader's page cache, in KiB.
const READER_CACHE_KIB: u32 = 16 * 1024;

/// A roster database in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file and its folders if missing. Does not
    /// migrate: call [`SqliteStore::migrate`], or use [`SqliteStore::open_and_migrate`].
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // The writer connects first: it creates the file and switches it to WAL, which lasts.
        // It also keeps the planner's statistics fresh, as SQLite advises for long-lived
        // connections: on opening and on closing.
        // A connection is a file handle in this process that cannot go stale as a network
        // connection can: no test query before each transaction (a round trip to the
        // connection's worker thread each time).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                    .analysis_limit(ANALYSIS_LIMIT)
                    .optimize_on_close(true, ANALYSIS_LIMIT),
            )
            .await
            .map_err(db_err)?;
        sqlx::query("PRAGMA optimize = 0x10002")
            .execute(&writer)
            .await
            .map_err(db_err)?;
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(
                options
                    .pragma("query_only", "ON")
                    .pragma("cache_size", format!("-{READER_CACHE_KIB}")),
            )
            .await
            .map_err(db_err)?;
        tracing::debug!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore { writer, readers })
    }

    /// Opens the database at `path` and brings its schema up to date.
    pub async fn open_and_migrate(path: &Path) -> StoreResult<SqliteStore> {
        let store = SqliteStore::open(path).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.writer).await.map_err(migrate_err)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        let tx = self.readers.begin().await.map_err(db_err)?;
        Ok(Box::new(SqliteTx::new(tx)))
    }

    async fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        Ok(Box::new(SqliteTx::new(tx)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.readers)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// SQLite has no notifications; a node on it is alone with its file anyway.
    async fn watch_access(&self) -> StoreResult<Option<Box<dyn AccessWatch>>> {
        Ok(None)
    }

    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>> {
        let conn = self.writer.acquire().await.map_err(db_err)?;
        Ok(Box::new(bulk::SqliteBulkLoad::begin(conn).await?))
    }

    /// On a reader connection without a transaction: one statement sees one snapshot.
    async fn login_record(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let mut conn = self.readers.acquire().await.map_err(db_err)?;
        users::login_record(&mut conn, login).await
    }

    async fn write_batch(&self, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
        batch::write(&self.writer, writes).await
    }
}
