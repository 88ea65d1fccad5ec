//! Login throttling counters.

use crate::error::db_err;
use crate::rows::micros;
use roster_core::store::StoreResult;
use roster_core::Timestamp;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// Counts an attempt against `key` in one statement, so concurrent attempts never lose a count.
pub(crate) async fn count_attempt(
    conn: &mut SqliteConnection,
    key: &str,
    at: Timestamp,
    window_start: Timestamp,
) -> StoreResult<i64> {
    let mut q = QueryBuilder::new("");
    push_count_answered(&mut q, key, at, window_start);
    q.build_query_scalar().fetch_one(conn).await.map_err(db_err)
}

/// Pushes the statement of [`count_attempt`] with its answer: one row, one column, the count.
pub(crate) fn push_count_answered(
    q: &mut QueryBuilder<'_, Sqlite>,
    key: &str,
    at: Timestamp,
    window_start: Timestamp,
) {
    push_count(q, key, at, window_start);
    q.push(" RETURNING attempts");
}

/// Pushes the statement of [`count_attempt`], without its answer.
pub(crate) fn push_count(
    q: &mut QueryBuilder<'_, Sqlite>,
    key: &str,
    at: Timestamp,
    window_start: Timestamp,
) {
    q.push("INSERT INTO login_attempts (key, attempts, last_attempt) VALUES (")
        .push_bind(key.to_owned())
        .push(", 1, ")
        .push_bind(micros(at))
        .push(
            ") ON CONFLICT (key) DO UPDATE SET attempts = CASE WHEN login_attempts.last_attempt < ",
        )
        .push_bind(micros(window_start))
        .push(" THEN 1 ELSE login_attempts.attempts + 1 END, last_attempt = ")
        .push_bind(micros(at));
}

/// The attempts counted against `key` within the window.
pub(crate) async fn attempts(
    conn: &mut SqliteConnection,
    key: &str,
    window_start: Timestamp,
) -> StoreResult<i64> {
    let mut q = QueryBuilder::new("");
    push_attempts(&mut q, key, window_start);
    q.build_query_scalar().fetch_one(conn).await.map_err(db_err)
}

/// Pushes the statement of [`attempts`]: one row, one column, 0 when none are counted.
pub(crate) fn push_attempts(q: &mut QueryBuilder<'_, Sqlite>, key: &str, window_start: Timestamp) {
    q.push("SELECT coalesce((SELECT attempts FROM login_attempts WHERE key = ")
        .push_bind(key.to_owned())
        .push(" AND last_attempt >= ")
        .push_bind(micros(window_start))
        .push("), 0)");
}

/// Forgets the attempts counted against `key`.
pub(crate) async fn clear(conn: &mut SqliteConnection, key: &str) -> StoreResult<()> {
    let mut q = QueryBuilder::new("");
    push_clear(&mut q, key);
    q.build().execute(conn).await.map_err(db_err)?;
    Ok(())
}

/// Pushes the statement of [`clear`].
pub(crate) fn push_clear(q: &mut QueryBuilder<'_, Sqlite>, key: &str) {
    q.push("DELETE FROM login_attempts WHERE key = ")
        .push_bind(key.to_owned());
}
