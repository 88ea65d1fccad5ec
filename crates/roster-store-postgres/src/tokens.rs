//! Tokens, found by the hash of their secret.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, micros, TOKEN_COLUMNS};
use roster_core::model::{TokenKind, TokenRecord};
use roster_core::page::PageReq;
use roster_core::store::StoreResult;
use roster_core::{Id, Timestamp};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

/// Stores a token; with `active_user`, only while its user exists and is active (see
/// [`roster_core::store::StoreTx::insert_sign_in_token`]).
pub(crate) async fn insert(
    conn: &mut PgConnection,
    token: &TokenRecord,
    hash: &[u8],
    active_user: bool,
) -> StoreResult<()> {
    let mut q = QueryBuilder::new("");
    push_insert(&mut q, token, hash, active_user);
    q.build().execute(conn).await.map_err(db_err)?;
    Ok(())
}

/// Pushes the statement of [`insert`]. With `active_user` the user's id is read from the
/// user's row, locked `FOR SHARE` so that a disable or delete in flight finishes first, and
/// is NULL when the user is not active, which `tokens.user_id NOT NULL` refuses (see
/// [`crate::error::db_err`]).
pub(crate) fn push_insert(
    q: &mut QueryBuilder<'_, Postgres>,
    token: &TokenRecord,
    hash: &[u8],
    active_user: bool,
) {
    q.push(
        "INSERT INTO tokens (id, hash, user_id, tenant_id, kind, name, created_at, expires_at, \
         last_used_at, impersonator_id) VALUES (",
    );
    let mut b = q.separated(", ");
    b.push_bind(token.id).push_bind(hash.to_vec());
    if active_user {
        b.push("(SELECT id FROM users WHERE id = ");
        b.push_bind_unseparated(token.user);
        b.push_unseparated(" AND status = 'active' FOR SHARE)");
    } else {
        b.push_bind(token.user);
    }
    b.push_bind(token.tenant)
        .push_bind(token.kind.as_str())
        .push_bind(token.name.clone())
        .push_bind(micros(token.created_at))
        .push_bind(micros(token.expires_at))
        .push_bind(micros(token.last_used_at))
        .push_bind(token.impersonator);
    q.push(")");
}

pub(crate) async fn get_by_hash(
    conn: &mut PgConnection,
    hash: &[u8],
) -> StoreResult<Option<TokenRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.hash = $1"
    ))
    .bind(hash)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::token).transpose()
}

pub(crate) async fn touch(conn: &mut PgConnection, id: Id, at: Timestamp) -> StoreResult<()> {
    sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
        .bind(micros(at))
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete(conn: &mut PgConnection, id: Id) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tokens WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

/// The kinds are bound as one `text[]`.
pub(crate) async fn delete_of_user(
    conn: &mut PgConnection,
    user: Id,
    kinds: &[TokenKind],
) -> StoreResult<u64> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let done = sqlx::query("DELETE FROM tokens WHERE user_id = $1 AND kind = ANY($2)")
        .bind(user)
        .bind(kinds)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected())
}

/// Ordered by id (oldest first).
pub(crate) async fn list_of_user(
    conn: &mut PgConnection,
    user: Id,
    kind: TokenKind,
) -> StoreResult<Vec<TokenRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.user_id = $1 AND t.kind = $2 \
         ORDER BY t.id"
    ))
    .bind(user)
    .bind(kind.as_str())
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows::all(rows, rows::token)
}

/// Tokens of every user with their hashes, in id order.
pub(crate) async fn list_all(
    conn: &mut PgConnection,
    page: PageReq,
) -> StoreResult<Vec<(TokenRecord, Vec<u8>)>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {TOKEN_COLUMNS}, t.hash FROM tokens t WHERE TRUE"
    ));
    filters::after(&mut q, "t.id", page, false);
    filters::order_limit(&mut q, "t.id", page, false);
    let found = q.build().fetch_all(conn).await.map_err(db_err)?;
    found
        .iter()
        .map(|row| {
            let hash: Vec<u8> = row.try_get("hash").map_err(db_err)?;
            Ok((rows::token(row)?, hash))
        })
        .collect()
}
