//! The PostgreSQL implementation of roster's store contract ([`roster_core::store`]).
//!
//! One connection pool shared by every transaction. Read transactions are
//! `REPEATABLE READ, READ ONLY` (one consistent snapshot, and writes fail); write transactions
//! are `READ COMMITTED`, and concurrent writers are kept apart by the schema's unique
//! constraints rather than by a single writer, so any number of roster nodes can share the
//! database and keep no state of their own.

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
use crate::tx::PgTx;
use async_trait::async_trait;
use roster_core::model::User;
use roster_core::store::{
    apply_batch, AccessWatch, BatchWrite, BulkLoad, Store, StoreError, StoreResult, StoreTx,
};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The schema, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How many connections one node keeps at most.
const MAX_CONNECTIONS: u32 = 10;

/// How long getting a connection may take, connecting included, before the database counts as
/// unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How a read transaction begins: one snapshot for all its statements, and no writes.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// How a write transaction begins. Each statement sees what is committed when it starts;
/// uniqueness comes from constraints, which hold whatever the isolation level.
const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// A roster database on a PostgreSQL server.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db?…`) and checks that it
    /// answers. Does not migrate: call [`PgStore::migrate`], or use
    /// [`PgStore::open_and_migrate`].
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        // sqlx reads any scheme as PostgreSQL's; another database's URL is a mistake to name.
        // (The URL itself stays out of the message: it may hold a password.)
        if !["postgres://", "postgresql://"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            return Err(StoreError::Other(
                "invalid PostgreSQL URL: it must start with postgres:// or postgresql://".into(),
            ));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
        PgStore::connect_with(options).await
    }

    /// Connects with explicit options (for settings a URL cannot carry, such as a
    /// `search_path`) and checks that the database answers. Does not migrate.
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db_err)?;
        tracing::debug!("connected to PostgreSQL store");
        Ok(PgStore { pool })
    }

    /// Connects to the database at `url` and brings its schema up to date.
    pub async fn open_and_migrate(url: &str) -> StoreResult<PgStore> {
        let store = PgStore::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations that have not run yet. Nodes migrating at the same
    /// time take turns (sqlx holds an advisory lock while it migrates).
    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(migrate_err)
    }

    /// Closes every connection, waiting for those in use to come back (a graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for PgStore {
    async fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        let tx = self.pool.begin_with(BEGIN_READ).await.map_err(db_err)?;
        Ok(Box::new(PgTx::new(tx)))
    }

    async fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        let tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        Ok(Box::new(PgTx::new(tx)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn watch_access(&self) -> StoreResult<Option<Box<dyn AccessWatch>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(db_err)?;
        listener.listen(changes::CHANNEL).await.map_err(db_err)?;
        Ok(Some(Box::new(changes::PgAccessWatch { listener })))
    }

    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>> {
        let tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        Ok(Box::new(bulk::PgBulkLoad::begin(tx).await?))
    }

    /// A plain statement on a pooled connection: no `BEGIN` and `ROLLBACK` around it.
    async fn login_record(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        users::login_record(&mut conn, login).await
    }

    /// One statement (see `batch.rs`), or a transaction when the writes cannot share one.
    async fn write_batch(&self, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
        if batch::write(&self.pool, writes).await? {
            return Ok(());
        }
        apply_batch(self.write().await?, writes).await
    }
}
