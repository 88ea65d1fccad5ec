//! The access change log.

use crate::error::db_err;
use crate::rows::{self};
use roster_core::model::AccessChange;
use roster_core::store::StoreResult;
use sqlx::{PgConnection, QueryBuilder};

/// Rows per multi-row change `INSERT` (3 parameters each).
const CHANGES_PER_STATEMENT: usize = 1000;

/// Takes the next version (the row lock this takes makes access-changing transactions take
/// turns until they end, so versions commit in order) and records each distinct change under it. Without changes, nothing is written.
pub(crate) async fn record(conn: &mut PgConnection, changes: &[AccessChange]) -> StoreResult<i64> {
    if changes.is_empty() {
        return version(conn).await;
    }
    let version: i64 = sqlx::query_scalar(
        "UPDATE access_version SET version = version + 1 WHERE id = 1 RETURNING version",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut distinct = changes.to_vec();
    distinct.sort_by_key(|c| (c.kind.as_str(), c.id));
    distinct.dedup();
    for chunk in distinct.chunks(CHANGES_PER_STATEMENT) {
        let mut q = QueryBuilder::new("INSERT INTO access_changes (version, kind, entity_id) ");
        q.push_values(chunk, |mut b, c| {
            b.push_bind(version)
                .push_bind(c.kind.as_str())
                .push_bind(c.id);
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    // Delivered at commit, to every node listening (see `PgAccessWatch`).
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(version.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(version)
}

/// The notification channel of access changes.
pub(crate) const CHANNEL: &str = "roster_access";

/// Access-change notifications on a dedicated connection.
pub(crate) struct PgAccessWatch {
    pub(crate) listener: sqlx::postgres::PgListener,
}

#[async_trait::async_trait]
impl roster_core::store::AccessWatch for PgAccessWatch {
    async fn changed(&mut self) -> StoreResult<()> {
        // `Ok(None)`: the connection was lost and is being re-established; notifications may
        // have been missed, which is a change as far as the caller knows.
        self.listener.try_recv().await.map_err(db_err)?;
        Ok(())
    }
}

pub(crate) async fn version(conn: &mut PgConnection) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT version FROM access_version WHERE id = 1")
        .fetch_one(conn)
        .await
        .map_err(db_err)
}

/// Oldest first; within a version, in key order.
pub(crate) async fn since(
    conn: &mut PgConnection,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<(i64, AccessChange)>> {
    let rows = sqlx::query(
        "SELECT version, kind, entity_id FROM access_changes WHERE version > $1 \
         ORDER BY version, kind, entity_id LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows::all(rows, rows::access_change)
}
