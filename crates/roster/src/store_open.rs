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

    /// The store behind the contract, keeping this handle (to migrate it later, say).
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            OpenedStore::Sqlite(s) => Arc::new(s.clone()),
            OpenedStore::Postgres(s) => Arc::new(s.clone()),
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

/// Where a database is, as a database URL names it.
#[derive(Debug, Clone)]
pub enum Location {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its `postgres://` URL (which may hold a password).
    Postgres(String),
}

impl Location {
    /// Reads a database URL: `sqlite:PATH` (or `sqlite://PATH`), `postgres://…` or
    /// `postgresql://…`.
    pub fn parse(url: &str) -> Result<Location> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .filter(|p| !p.is_empty())
            .context(
                "a database URL must be sqlite:PATH or postgres://… (got a value of another form)",
            )?;
        Ok(Location::Sqlite(PathBuf::from(path)))
    }

    /// Opens (creating an SQLite file if needed) the database, without migrating it.
    pub async fn open(&self) -> Result<OpenedStore> {
        match self {
            Location::Postgres(url) => {
                let store = PgStore::connect(url)
                    .await
                    .with_context(|| format!("cannot connect to the {}", self.describe()))?;
                Ok(OpenedStore::Postgres(store))
            }
            Location::Sqlite(path) => {
                let store = SqliteStore::open(path)
                    .await
                    .with_context(|| format!("cannot open the database at {}", path.display()))?;
                Ok(OpenedStore::Sqlite(store))
            }
        }
    }

    /// The database for messages: the SQLite file, or PostgreSQL's host, port and database
    /// (never the URL, which may hold a password).
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => format!("SQLite database {}", path.display()),
            Location::Postgres(url) => {
                // postgres://[user[:password]@]host[:port][/database][?options]
                let rest = url.split_once("://").map_or("", |(_, rest)| rest);
                let rest = rest.split(['?', '#']).next().unwrap_or("");
                let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
                match rest.split_once('/') {
                    Some((host, db)) if !db.is_empty() => {
                        format!("PostgreSQL database {db} on {host}")
                    }
                    _ => format!("PostgreSQL database on {rest}"),
                }
            }
        }
    }
}

/// Opens (creating an SQLite file if needed) the configured database, without migrating it.
pub async fn open(config: &Config) -> Result<OpenedStore> {
    let location = match &config.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Location::Postgres(url.clone())
        }
        Some(url) => Location::Sqlite(PathBuf::from(
            url.trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:"),
        )),
        None => Location::Sqlite(config.data_dir.join(DB_FILE)),
    };
    location.open().await
}
