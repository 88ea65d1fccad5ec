//! [`SqliteTx`]: the contract's transaction on one lent connection.

use crate::connections::Lease;
use crate::error::db_err;
use crate::{
    audit, changes, factors, grants, groups, org, projects, resources, settings, snapshot,
    throttle, tokens, users, verify,
};
use roster_core::model::*;
use roster_core::page::PageReq;
use roster_core::store::{RowCounts, StoreResult, TenantScope};
use roster_core::{Id, Timestamp};
use sqlx::sqlite::SqliteTransactionManager;
use sqlx::{SqliteConnection, TransactionManager};
use std::borrow::Cow;

/// One transaction. Those from [`crate::SqliteStore::read`] run on a `query_only` connection,
/// so their writes fail with [`roster_core::store::StoreError::Other`]. Dropping it without
/// `commit` rolls back: the `ROLLBACK` is queued on the connection, ahead of whatever its next
/// borrower sends.
pub(crate) struct SqliteTx {
    conn: Lease,
    /// Begun and neither committed nor rolled back.
    open: bool,
}

impl SqliteTx {
    /// Begins a transaction on `conn` with `statement` (`BEGIN` when `None`). The transaction
    /// counts as open from the start: a caller that stops waiting after `BEGIN` was sent, or a
    /// `BEGIN` that fails, leaves a `ROLLBACK` queued behind it (which does nothing when no
    /// transaction began), so the connection never goes back to its set inside one.
    pub(crate) async fn begin(conn: Lease, statement: Option<&'static str>) -> StoreResult<Self> {
        let mut tx = SqliteTx { conn, open: true };
        SqliteTransactionManager::begin(&mut tx.conn, statement.map(Cow::Borrowed))
            .await
            .map_err(db_err)?;
        Ok(tx)
    }

    /// The connection the transaction runs on.
    fn db(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }

    /// Commits; from then on dropping it rolls nothing back.
    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        SqliteTransactionManager::commit(&mut self.conn)
            .await
            .map_err(db_err)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

roster_store_sql::store_tx!(SqliteTx);
