//! Opens the store the configuration names: the embedded SQLite file by default, or the
//! database of `database_url`. The one place that knows which stores exist.

use crate::config::Config;
use anyhow::{Context, Result};
use roster_core::store::{Store, StoreResult};
use roster_store_postgres::PgStore;
use roster_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;

/// The embedded database file inside the data directory.
pub const DB_FILE: &str = "roster.db";

/// An opened store, before it is handed to the service layer.
pub enum OpenedStore {
    /// The embedded SQLite database.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

impl OpenedStore {
    /// Brings the schema up to date.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            OpenedStore::Sqlite(s) => s.migrate().await,
            OpenedStore::Postgres(s) => s.migrate().await,
        }
    }

    /// The store behind the contract, for the service layer.
    pub fn into_store(self) -> Arc<dyn Store> {
        match self {
            OpenedStore::Sqlite(s) => Arc::new(s),
            OpenedStore::Postgres(s) => Arc::new(s),
        }
    }

    /// Which kind of database this is, for the log.
    pub fn describe(&self) -> &'static str {
        match self {
            OpenedStore::Sqlite(_) => "SQLite",
            OpenedStore::Postgres(_) => "PostgreSQL",
        }
    }
}

/// Opens (creating an SQLite file if needed) the configured database, without migrating it.
pub async fn open(config: &Config) -> Result<OpenedStore> {
    match &config.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = PgStore::connect(url)
                .await
                .context("cannot connect to the PostgreSQL database of database_url")?;
            Ok(OpenedStore::Postgres(store))
        }
        other => {
            let path = match other {
                Some(url) => PathBuf::from(
                    url.trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                ),
                None => config.data_dir.join(DB_FILE),
            };
            let store = SqliteStore::open(&path)
                .await
                .with_context(|| format!("cannot open the database at {}", path.display()))?;
            Ok(OpenedStore::Sqlite(store))
        }
    }
}
