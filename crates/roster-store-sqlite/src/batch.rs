//! [`Store::write_batch`](roster_core::store::Store::write_batch) in one round trip.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every command (`BEGIN`, each
//! statement, `COMMIT`) is a hand-off to that thread and back: tens of microseconds each on
//! a small machine. A batch is sent as one multi-statement command that opens, fills and
//! commits its own transaction, so it costs one hand-off however many writes it holds.
//!
//! The transaction is opened in the SQL text, where sqlx does not see it, so two things that
//! sqlx's own transactions take care of are done here instead:
//! - when a statement fails, the rest are not run, and `ROLLBACK` is sent before the
//!   connection goes back to the pool (SQLite may have rolled back already; the "no
//!   transaction" answer is then ignored);
//! - the batch runs in a task of its own, so that a caller that stops waiting (a client gone
//!   mid-request) cannot return the connection to the pool with the transaction open.

use crate::error::{db_err, other};
use crate::{audit, throttle, tokens};
use roster_core::store::{BatchWrite, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

/// Applies `writes` in one write transaction on the `writer` pool's connection.
pub(crate) async fn write(writer: &SqlitePool, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
    let mut q: QueryBuilder<'static, Sqlite> = QueryBuilder::new("BEGIN IMMEDIATE; ");
    for write in writes {
        match *write {
            BatchWrite::ClearLoginAttempts(key) => throttle::push_clear(&mut q, key),
            BatchWrite::CountLoginAttempt {
                key,
                at,
                window_start,
            } => throttle::push_count(&mut q, key, at, window_start),
            BatchWrite::InsertToken { token, hash } => tokens::push_insert(&mut q, token, hash),
            BatchWrite::Audit(event) => audit::push_insert(&mut q, std::slice::from_ref(event))?,
        }
        q.push("; ");
    }
    q.push("COMMIT");
    let writer = writer.clone();
    tokio::spawn(async move {
        let mut conn = writer.acquire().await.map_err(db_err)?;
        let result = q.build().execute(&mut *conn).await;
        if result.is_err() {
            // Whatever ROLLBACK answers, the connection is out of any transaction after it.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        }
        result.map(drop).map_err(db_err)
    })
    .await
    .map_err(|e| other(format!("write batch stopped: {e}")))?
}
