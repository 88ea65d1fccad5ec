//! Opens the store the configuration names.

use crate::config::Config;
use anyhow::{bail, Context, Result};
use roster_store_sqlite::SqliteStore;
use std::path::PathBuf;

/// The embedded database file inside the data directory.
pub const DB_FILE: &str = "roster.db";

/// Opens (creating if needed) the configured database, without migrating it.
pub async fn open(config: &Config) -> Result<SqliteStore> {
    let path = match &config.database_url {
        None => config.data_dir.join(DB_FILE),
        Some(url) if url.starts_with("sqlite:") => PathBuf::from(
            url.trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:"),
        ),
        Some(_) => {
            bail!("PostgreSQL is not supported by this build yet; use the embedded SQLite database")
        }
    };
    SqliteStore::open(&path)
        .await
        .with_context(|| format!("cannot open the database at {}", path.display()))
}
