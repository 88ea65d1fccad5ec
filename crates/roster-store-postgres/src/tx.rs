//! [`PgTx`]: the contract's transaction over one sqlx transaction.

use crate::error::db_err;
use crate::{
    audit, changes, factors, grants, groups, org, projects, resources, settings, snapshot,
    throttle, tokens, users, verify,
};
use roster_core::model::*;
use roster_core::page::PageReq;
use roster_core::store::{RowCounts, StoreResult, TenantScope};
use roster_core::{Id, Timestamp};
use sqlx::{PgConnection, Postgres, Transaction};

/// One transaction. Those from [`crate::PgStore::read`] are `READ ONLY`, so their writes fail
/// with [`roster_core::store::StoreError::Other`]. Dropping it without `commit` rolls back.
pub(crate) struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl PgTx {
    /// Wraps a begun transaction.
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        PgTx { tx }
    }

    /// The connection the transaction runs on.
    fn db(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Commits.
    async fn finish(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_err)
    }
}

roster_store_sql::store_tx!(PgTx);
