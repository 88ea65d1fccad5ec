//! Login throttling counters.

use crate::error::db_err;
use crate::rows::micros;
use roster_core::store::StoreResult;
use roster_core::Timestamp;
use sqlx::SqliteConnection;

/// Counts an attempt against `key` in one statement, so concurrent attempts never lose a count.
pub(crate) async fn count_attempt(
    conn: &mut SqliteConnection,
    key: &str,
    at: Timestamp,
    window_start: Timestamp,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_attempts (key, attempts, last_attempt) VALUES (?, 1, ?) \
         ON CONFLICT (key) DO UPDATE SET \
         attempts = CASE WHEN login_attempts.last_attempt < ? THEN 1 ELSE login_attempts.attempts + 1 END, \
         last_attempt = ? \
         RETURNING attempts",
    )
    .bind(key)
    .bind(micros(at))
    .bind(micros(window_start))
    .bind(micros(at))
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

/// The attempts counted against `key` within the window.
pub(crate) async fn attempts(
    conn: &mut SqliteConnection,
    key: &str,
    window_start: Timestamp,
) -> StoreResult<i64> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT attempts FROM login_attempts WHERE key = ? AND last_attempt >= ?",
    )
    .bind(key)
    .bind(micros(window_start))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    Ok(n.unwrap_or(0))
}

/// Forgets the attempts counted against `key`.
pub(crate) async fn clear(conn: &mut SqliteConnection, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE key = ?")
        .bind(key)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
