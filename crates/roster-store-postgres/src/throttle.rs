//! Login throttling counters.

use crate::error::db_err;
use crate::rows::micros;
use roster_core::store::StoreResult;
use roster_core::Timestamp;
use sqlx::PgConnection;

/// Counts an attempt against `key` in one statement, so concurrent attempts never lose a count.
pub(crate) async fn count_attempt(
    conn: &mut PgConnection,
    key: &str,
    at: Timestamp,
    window_start: Timestamp,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO login_attempts (key, attempts, last_attempt) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
         attempts = CASE WHEN login_attempts.last_attempt < $3 THEN 1 ELSE login_attempts.attempts + 1 END, \
         last_attempt = $2 \
         RETURNING attempts",
    )
    .bind(key)
    .bind(micros(at))
    .bind(micros(window_start))
    .fetch_one(conn)
    .await
    .map_err(db_err)
}

/// The attempts counted against `key` within the window.
pub(crate) async fn attempts(
    conn: &mut PgConnection,
    key: &str,
    window_start: Timestamp,
) -> StoreResult<i64> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT attempts FROM login_attempts WHERE key = $1 AND last_attempt >= $2",
    )
    .bind(key)
    .bind(micros(window_start))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    Ok(n.unwrap_or(0))
}

/// Forgets the attempts counted against `key`.
pub(crate) async fn clear(conn: &mut PgConnection, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_attempts WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
