//! What the integration tests share: a fresh schema per test on the database named by
//! `ROSTER_TEST_PG_URL`, or a skip when that is unset (a failure instead when
//! `ROSTER_TEST_REQUIRE` is `all` or lists `postgres`).

use roster_core::new_id;
use roster_store_postgres::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;

/// The test database's URL, or `None` to skip (with a note on stderr).
pub fn test_url() -> Option<String> {
    if let Some(url) = std::env::var("ROSTER_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let required = std::env::var("ROSTER_TEST_REQUIRE").unwrap_or_default();
    if required
        .split(',')
        .any(|s| matches!(s.trim(), "all" | "postgres"))
    {
        panic!(
            "ROSTER_TEST_REQUIRE={required} asks for the PostgreSQL tests, but \
             ROSTER_TEST_PG_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
    }
    eprintln!("skipped: set ROSTER_TEST_PG_URL to run the PostgreSQL store tests");
    None
}

/// A store on a schema of its own, dropped by [`TestDb::finish`]. A failing test leaves its
/// schema behind for inspection; its name is printed with the test's output.
pub struct TestDb {
    /// The store under test, confined to the schema (and named after it in
    /// `pg_stat_activity.application_name`).
    pub store: PgStore,
    /// The schema's name.
    pub schema: String,
    url: String,
}

impl TestDb {
    /// A migrated store on a fresh schema, or `None` to skip.
    pub async fn create() -> Option<TestDb> {
        let db = TestDb::unmigrated().await?;
        db.store.migrate().await.expect("migrate");
        Some(db)
    }

    /// A store on a fresh, empty schema, or `None` to skip.
    pub async fn unmigrated() -> Option<TestDb> {
        let url = test_url()?;
        let schema = format!("t_{}", new_id().simple());
        eprintln!("test schema: {schema}");
        let mut admin = PgConnection::connect(&url)
            .await
            .expect("connect to test db");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create schema");
        admin.close().await.expect("disconnect");
        let store = PgStore::connect_with(options(&url, &schema))
            .await
            .expect("connect the store");
        Some(TestDb { store, schema, url })
    }

    /// A connection of its own to the schema, for looking at or tampering with the tables.
    pub async fn raw(&self) -> PgConnection {
        options(&self.url, &self.schema)
            .application_name("roster-test-raw")
            .connect()
            .await
            .expect("a raw connection")
    }

    /// Closes the store and drops the schema.
    pub async fn finish(self) {
        self.store.close().await;
        let mut admin = PgConnection::connect(&self.url)
            .await
            .expect("connect to test db");
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&mut admin)
            .await
            .expect("drop schema");
        admin.close().await.expect("disconnect");
    }
}

/// Options for `url` confined to `schema`.
fn options(url: &str, schema: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(url)
        .expect("ROSTER_TEST_PG_URL is a PostgreSQL URL")
        .options([("search_path", schema)])
        .application_name(schema)
}
