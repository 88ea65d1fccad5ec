//! Second factors: TOTP authenticators and recovery codes.

use crate::error::db_err;
use crate::rows::{self, micros};
use roster_core::model::TotpFactor;
use roster_core::store::StoreResult;
use roster_core::Id;
use sqlx::PgConnection;

/// Enrols (or re-enrols) an authenticator.
pub(crate) async fn put(conn: &mut PgConnection, f: &TotpFactor) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO totp_factors (user_id, secret, confirmed, last_step, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed = excluded.confirmed, last_step = excluded.last_step, created_at = excluded.created_at",
    )
    .bind(f.user)
    .bind(&f.secret)
    .bind(f.confirmed)
    .bind(f.last_step)
    .bind(micros(f.created_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The user's authenticator.
pub(crate) async fn get(conn: &mut PgConnection, user: Id) -> StoreResult<Option<TotpFactor>> {
    let row = sqlx::query(
        "SELECT user_id, secret, confirmed, last_step, created_at FROM totp_factors WHERE user_id = $1",
    )
    .bind(user)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::totp_factor).transpose()
}

/// Marks the authenticator confirmed.
pub(crate) async fn confirm(conn: &mut PgConnection, user: Id) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE totp_factors SET confirmed = TRUE WHERE user_id = $1")
        .bind(user)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// Accepts `step` only if it is later than every step accepted before, in one statement.
pub(crate) async fn use_step(conn: &mut PgConnection, user: Id, step: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE totp_factors SET last_step = $1 WHERE user_id = $2 AND (last_step IS NULL OR last_step < $1)",
    )
    .bind(step)
    .bind(user)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// Removes the authenticator and the recovery codes.
pub(crate) async fn delete(conn: &mut PgConnection, user: Id) -> StoreResult<bool> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    let done = sqlx::query("DELETE FROM totp_factors WHERE user_id = $1")
        .bind(user)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the recovery codes.
pub(crate) async fn replace_codes(
    conn: &mut PgConnection,
    user: Id,
    hashes: &[[u8; 32]],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user)
            .bind(&h[..])
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Deletes one recovery code; whether it was there.
pub(crate) async fn use_code(
    conn: &mut PgConnection,
    user: Id,
    hash: &[u8; 32],
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2")
        .bind(user)
        .bind(&hash[..])
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

/// How many recovery codes are left.
pub(crate) async fn codes_left(conn: &mut PgConnection, user: Id) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
        .map_err(db_err)
}

/// A page of authenticators with their recovery-code hashes, by user id.
pub(crate) async fn list_all(
    conn: &mut PgConnection,
    after: Option<Id>,
    limit: u32,
) -> StoreResult<Vec<(TotpFactor, Vec<[u8; 32]>)>> {
    let rows = sqlx::query("SELECT user_id, secret, confirmed, last_step, created_at FROM totp_factors WHERE user_id > $1 ORDER BY user_id LIMIT $2")
        .bind(after.unwrap_or(Id::nil()))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let f = rows::totp_factor(row)?;
        let hashes: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT code_hash FROM recovery_codes WHERE user_id = $1 ORDER BY code_hash",
        )
        .bind(f.user)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let codes = hashes
            .into_iter()
            .filter_map(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
            .collect();
        out.push((f, codes));
    }
    Ok(out)
}
