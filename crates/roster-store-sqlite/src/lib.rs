//! The SQLite implementation of roster's store contract ([`roster_core::store`]).
//!
//! One database file in WAL mode, used through two sets of connections
//! ([`connections::Connections`]): a single writer connection, on which every write
//! transaction runs (`BEGIN IMMEDIATE`, so writers queue for the connection instead of failing
//! on a lock upgrade), and a few `query_only` reader connections for read transactions, which
//! WAL lets run beside the writer.

mod audit;
mod batch;
mod bulk;
mod changes;
mod connections;
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

use crate::connections::Connections;
use crate::error::{db_err, migrate_err};
use crate::tx::SqliteTx;
use async_trait::async_trait;
use roster_core::model::User;
use roster_core::store::{
    AccessWatch, BatchWrite, BulkLoad, SignInAttempt, SignInCount, Store, StoreError, StoreResult,
    StoreTx,
};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The schema, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How many read transactions may run at once.
const READERS: usize = 4;

/// How long a statement waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Rows per index that `PRAGMA optimize` samples when it refreshes the planner's statistics,
/// which keeps it quick on large tables.
const ANALYSIS_LIMIT: u32 = 1000;

/// How often the writer refreshes the planner's statistics while the store is open: SQLite
/// advises long-lived connections to run `PRAGMA optimize` when they open and then every few
/// hours, so that tables which grew since are analysed again.
const OPTIMIZE_EVERY: Duration = Duration::from_secs(3600);

/// The writer's page cache, in KiB (SQLite's default is 2 MiB). Bulk loads insert into large
/// B-trees at scattered places; with a small cache each insert goes back to the OS.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// Each reader's page cache, in KiB.
const READER_CACHE_KIB: u32 = 16 * 1024;

/// A roster database in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Arc<Connections>,
    readers: Arc<Connections>,
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
        // It also refreshes the planner's statistics on opening, as SQLite advises for
        // long-lived connections.
        let writer = Connections::open(
            options
                .clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                .analysis_limit(ANALYSIS_LIMIT),
            1,
        )
        .await?;
        optimize(&writer).await?;
        tokio::spawn(keep_statistics_fresh(Arc::downgrade(&writer)));
        let readers = Connections::open(
            options
                .pragma("query_only", "ON")
                .pragma("cache_size", format!("-{READER_CACHE_KIB}")),
            READERS,
        )
        .await?;
        tracing::debug!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore { writer, readers })
    }

    /// Opens the database at `path` and brings its schema up to date.
    pub async fn open_and_migrate(path: &Path) -> StoreResult<SqliteStore> {
        let store = SqliteStore::open(path).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Refreshes the query planner's statistics of every table whose size changed much since
    /// they were last gathered (`PRAGMA optimize`). The store does this when it opens and
    /// every hour while it stays open.
    pub async fn refresh_statistics(&self) -> StoreResult<()> {
        optimize(&self.writer).await
    }

    /// Applies the embedded migrations that have not run yet.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.writer.lease().await?;
        MIGRATOR.run(&mut *conn).await.map_err(migrate_err)
    }
}

/// `PRAGMA optimize` on the writer, over every table (`0x10000`), sampling at most
/// [`ANALYSIS_LIMIT`] rows per index.
async fn optimize(writer: &Arc<Connections>) -> StoreResult<()> {
    sqlx::query("PRAGMA optimize = 0x10002")
        .execute(&mut *writer.lease().await?)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Runs [`optimize`] every [`OPTIMIZE_EVERY`] until the store is gone.
async fn keep_statistics_fresh(writer: Weak<Connections>) {
    let mut every = tokio::time::interval(OPTIMIZE_EVERY);
    // The first tick is at once; the store has just optimised.
    every.tick().await;
    loop {
        every.tick().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        if let Err(e) = optimize(&writer).await {
            tracing::warn!(error = %e, "refreshing SQLite's planner statistics failed");
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        let conn = self.readers.lease().await?;
        Ok(Box::new(SqliteTx::begin(conn, None).await?))
    }

    async fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        let conn = self.writer.lease().await?;
        Ok(Box::new(
            SqliteTx::begin(conn, Some("BEGIN IMMEDIATE")).await?,
        ))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.readers.lease().await?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// SQLite has no notifications; a node on it is alone with its file anyway.
    async fn watch_access(&self) -> StoreResult<Option<Box<dyn AccessWatch>>> {
        Ok(None)
    }

    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>> {
        let conn = self.writer.lease().await?;
        Ok(Box::new(bulk::SqliteBulkLoad::begin(conn).await?))
    }

    /// On a reader connection without a transaction: one statement sees one snapshot.
    async fn login_record(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let mut conn = self.readers.lease().await?;
        users::login_record(&mut conn, login).await
    }

    async fn count_sign_in_attempt(&self, attempt: &SignInAttempt<'_>) -> StoreResult<SignInCount> {
        batch::count_sign_in_attempt(&self.writer, attempt).await
    }

    async fn write_batch(&self, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
        batch::write(&self.writer, writes).await
    }
}
