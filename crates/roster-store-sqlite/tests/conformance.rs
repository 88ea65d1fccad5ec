//! Runs roster-core's store conformance suite against SQLite, one fresh database file per test.

use roster_core::conformance::Fixture;
use roster_core::store::Store;
use roster_store_sqlite::SqliteStore;
use tempfile::TempDir;

/// A migrated store in a temporary folder that lives as long as the store.
struct TempStore {
    store: SqliteStore,
    _dir: TempDir,
}

impl Fixture for TempStore {
    fn store(&self) -> &dyn Store {
        &self.store
    }
}

async fn temp_store() -> TempStore {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = SqliteStore::open_and_migrate(&dir.path().join("roster.db"))
        .await
        .expect("open and migrate");
    TempStore { store, _dir: dir }
}

roster_core::conformance_tests!(temp_store());
