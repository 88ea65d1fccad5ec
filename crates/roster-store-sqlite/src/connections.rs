//! The store's connections: a fixed number of SQLite connections, lent out one at a time.
//!
//! This takes the place of sqlx's pool, which suits network databases: it sends a test query
//! over every connection that comes back (to flush a rollback left behind and to notice a
//! broken socket) and spawns a task to do it. With SQLite each of those is a hand-off to the
//! connection's own thread and back, and they were most of what a short read cost: 10 to 11
//! thread switches for one `SELECT` of one row. A SQLite connection is a file handle in this
//! process that cannot go stale, and commands reach its thread in the order they were sent, so
//! a rollback left queued runs before the next borrower's first statement; the test buys
//! nothing here. A connection comes back to the set as it was lent, unless the borrower
//! [discards](Lease::discard) it (its state is unknown); then the next borrower opens a new
//! one.

use crate::error::db_err;
use roster_core::store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Up to a fixed number of connections to one database, opened with the same options.
#[derive(Debug)]
pub(crate) struct Connections {
    /// How each connection is opened (and its pragmas set).
    options: SqliteConnectOptions,
    /// Connections not lent out, the most recently returned last (it is lent next, while its
    /// pages are still in its cache).
    idle: Mutex<Vec<SqliteConnection>>,
    /// One permit per connection that may exist.
    permits: Arc<Semaphore>,
}

impl Connections {
    /// Opens one connection with `options` (so a bad path or setting fails here, at start)
    /// and allows up to `size` at once.
    pub(crate) async fn open(options: SqliteConnectOptions, size: usize) -> StoreResult<Arc<Self>> {
        let first = options.connect().await.map_err(db_err)?;
        Ok(Arc::new(Connections {
            options,
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(size)),
        }))
    }

    /// Waits for a connection, opening one when none is idle.
    pub(crate) async fn lease(self: &Arc<Self>) -> StoreResult<Lease> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.options.connect().await.map_err(db_err)?,
        };
        Ok(Lease {
            conn: Some(conn),
            home: Arc::clone(self),
            _permit: permit,
        })
    }
}

/// One connection, lent out until dropped, when it goes back to its set.
#[derive(Debug)]
pub(crate) struct Lease {
    /// `None` once discarded.
    conn: Option<SqliteConnection>,
    home: Arc<Connections>,
    /// Given back after the connection is (field order: fields drop after `Drop::drop`).
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// Closes the connection instead of returning it: for a borrower that cannot tell what
    /// state it left the connection in (closing rolls back any open transaction).
    pub(crate) fn discard(mut self) {
        drop(self.conn.take());
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.home.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    async fn set(size: usize) -> (tempfile::TempDir, Arc<Connections>) {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("c.db"))
            .create_if_missing(true);
        (dir, Connections::open(options, size).await.unwrap())
    }

    /// A connection's own state (here a temporary table) tells which connection a lease got.
    async fn mark(lease: &mut Lease, name: &str) {
        sqlx::query(&format!("CREATE TEMP TABLE {name} (x)"))
            .execute(&mut **lease)
            .await
            .unwrap();
    }

    async fn has(lease: &mut Lease, name: &str) -> bool {
        sqlx::query("SELECT count(*) FROM temp.sqlite_schema WHERE name = ?")
            .bind(name)
            .fetch_one(&mut **lease)
            .await
            .unwrap()
            .get::<i64, _>(0)
            == 1
    }

    #[tokio::test]
    async fn a_returned_connection_is_lent_again_and_a_discarded_one_is_replaced() {
        let (_dir, set) = set(2).await;
        let mut a = set.lease().await.unwrap();
        mark(&mut a, "a").await;
        drop(a);
        let mut again = set.lease().await.unwrap();
        assert!(
            has(&mut again, "a").await,
            "the idle connection is lent again"
        );
        again.discard();
        let mut fresh = set.lease().await.unwrap();
        assert!(
            !has(&mut fresh, "a").await,
            "a discarded connection is not lent"
        );
    }

    #[tokio::test]
    async fn no_more_than_size_connections_are_lent_at_once() {
        let (_dir, set) = set(2).await;
        let a = set.lease().await.unwrap();
        let _b = set.lease().await.unwrap();
        let wait = std::time::Duration::from_millis(50);
        let third = tokio::time::timeout(wait, set.lease()).await;
        assert!(third.is_err(), "a third borrower waits while two are lent");
        drop(a);
        let third = tokio::time::timeout(wait, set.lease()).await;
        assert!(third.is_ok(), "and gets the one given back");
    }
}
