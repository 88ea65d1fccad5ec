//! Settings documents and the email second factor.

use crate::error::db_err;
use crate::rows::{self, blob, micros};
use roster_core::model::{Setting, SignInState};
use roster_core::store::StoreResult;
use roster_core::{Id, Timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

const COLUMNS: &str = "scope_id, name, value, updated_at";

/// One settings document.
pub(crate) async fn get(
    conn: &mut SqliteConnection,
    scope: Id,
    name: &str,
) -> StoreResult<Option<Setting>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM settings WHERE scope_id = ? AND name = ?"
    ))
    .bind(blob(scope))
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::setting).transpose()
}

/// Stores a settings document, replacing the one of the same key.
pub(crate) async fn put(conn: &mut SqliteConnection, s: &Setting) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (scope_id, name, value, updated_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (scope_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(blob(s.scope))
    .bind(&s.name)
    .bind(&s.value)
    .bind(micros(s.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Removes a settings document; whether there was one.
pub(crate) async fn delete(
    conn: &mut SqliteConnection,
    scope: Id,
    name: &str,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM settings WHERE scope_id = ? AND name = ?")
        .bind(blob(scope))
        .bind(name)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// Every settings document, by scope and name.
pub(crate) async fn list_all(conn: &mut SqliteConnection) -> StoreResult<Vec<Setting>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM settings ORDER BY scope_id, name"
    ))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(rows::setting).collect()
}

/// Turns on email codes for a user (again: keeps the first time).
pub(crate) async fn put_email_factor(
    conn: &mut SqliteConnection,
    user: Id,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO email_factors (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(blob(user))
    .bind(micros(at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Whether the user has email codes on.
pub(crate) async fn has_email_factor(conn: &mut SqliteConnection, user: Id) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM email_factors WHERE user_id = ?")
        .bind(blob(user))
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Turns email codes off; whether they were on.
pub(crate) async fn delete_email_factor(
    conn: &mut SqliteConnection,
    user: Id,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM email_factors WHERE user_id = ?")
        .bind(blob(user))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// A page of the users with email codes on, by user id.
pub(crate) async fn list_email_factors(
    conn: &mut SqliteConnection,
    after: Option<Id>,
    limit: u32,
) -> StoreResult<Vec<(Id, Timestamp)>> {
    let rows = sqlx::query(
        "SELECT user_id, created_at FROM email_factors WHERE user_id > ? ORDER BY user_id LIMIT ?",
    )
    .bind(blob(after.unwrap_or(Id::nil())))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(rows::email_factor).collect()
}

/// A user's confirmed second factors and one settings document, in one statement.
pub(crate) async fn sign_in_state(
    conn: &mut SqliteConnection,
    user: Id,
    scope: Id,
    policy: &str,
) -> StoreResult<SignInState> {
    let mut q = QueryBuilder::new("");
    push_sign_in_state(&mut q, user, scope, policy);
    let row = q.build().fetch_one(conn).await.map_err(db_err)?;
    sign_in_state_row(&row)
}

/// Pushes the statement of [`sign_in_state`]: one row, read by [`sign_in_state_row`].
pub(crate) fn push_sign_in_state(
    q: &mut QueryBuilder<'_, Sqlite>,
    user: Id,
    scope: Id,
    policy: &str,
) {
    q.push("SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = ")
        .push_bind(blob(user))
        .push(" AND confirmed = 1), EXISTS (SELECT 1 FROM email_factors WHERE user_id = ")
        .push_bind(blob(user))
        .push("), (SELECT value FROM settings WHERE scope_id = ")
        .push_bind(blob(scope))
        .push(" AND name = ")
        .push_bind(policy.to_owned())
        .push(")");
}

/// Reads the row of [`push_sign_in_state`]'s statement.
pub(crate) fn sign_in_state_row(row: &SqliteRow) -> StoreResult<SignInState> {
    Ok(SignInState {
        totp: row.try_get(0).map_err(db_err)?,
        email: row.try_get(1).map_err(db_err)?,
        policy: row.try_get(2).map_err(db_err)?,
    })
}
