//! Users and their password hashes.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, blob, lc, micros, USER_COLUMNS};
use roster_core::model::{User, UserQuery};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

/// Rows per multi-row `INSERT` (20 parameters each, well under SQLite's 32,766).
const USERS_PER_STATEMENT: usize = 500;

pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    user: &User,
    password_hash: Option<&str>,
) -> StoreResult<()> {
    insert_many(conn, &[(user.clone(), password_hash.map(str::to_string))]).await
}

/// Inserts users with multi-row statements, so bulk loads do not pay per-row overhead.
pub(crate) async fn insert_many(
    conn: &mut SqliteConnection,
    users: &[(User, Option<String>)],
) -> StoreResult<()> {
    for chunk in users.chunks(USERS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(
            "INSERT INTO users (id, tenant_id, owner_id, login, login_lc, email, email_lc, \
             email_verified, first_name, last_name, first_lc, last_lc, phone, kind, status, \
             must_change_password, password_hash, version, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, (user, password_hash)| {
            b.push_bind(blob(user.id))
                .push_bind(blob(user.tenant))
                .push_bind(blob(user.owner))
                .push_bind(user.login.clone())
                .push_bind(lc(&user.login))
                .push_bind(user.email.clone())
                .push_bind(user.email.as_deref().map(lc))
                .push_bind(user.email_verified)
                .push_bind(user.first_name.clone())
                .push_bind(user.last_name.clone())
                .push_bind(user.first_name.as_deref().map(lc))
                .push_bind(user.last_name.as_deref().map(lc))
                .push_bind(user.phone.clone())
                .push_bind(user.kind.as_str())
                .push_bind(user.status.as_str())
                .push_bind(user.must_change_password)
                .push_bind(password_hash.clone())
                .push_bind(user.version)
                .push_bind(micros(user.created_at))
                .push_bind(micros(user.updated_at));
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Writes every column but the id, the creation time and the password hash.
pub(crate) async fn update(conn: &mut SqliteConnection, user: &User) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET tenant_id = ?, owner_id = ?, login = ?, login_lc = ?, email = ?, \
         email_lc = ?, email_verified = ?, first_name = ?, last_name = ?, first_lc = ?, \
         last_lc = ?, phone = ?, kind = ?, status = ?, must_change_password = ?, version = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(blob(user.tenant))
    .bind(blob(user.owner))
    .bind(&user.login)
    .bind(lc(&user.login))
    .bind(&user.email)
    .bind(user.email.as_deref().map(lc))
    .bind(user.email_verified)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(user.first_name.as_deref().map(lc))
    .bind(user.last_name.as_deref().map(lc))
    .bind(&user.phone)
    .bind(user.kind.as_str())
    .bind(user.status.as_str())
    .bind(user.must_change_password)
    .bind(user.version)
    .bind(micros(user.updated_at))
    .bind(blob(user.id))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the user with their memberships, project memberships, grants and tokens
/// (explicitly, not relying on the cascades alone); audit events stay.
pub(crate) async fn delete(conn: &mut SqliteConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM memberships WHERE user_id = ?",
        "DELETE FROM project_members WHERE user_id = ?",
        "DELETE FROM grants WHERE subject_id = ?",
        "DELETE FROM tokens WHERE user_id = ?",
        "DELETE FROM users WHERE id = ?",
    ] {
        sqlx::query(sql)
            .bind(blob(id))
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn get(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<User>> {
    let mut q = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = "));
    q.push_bind(blob(id));
    filters::scope(&mut q, "u.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::user).transpose()
}

pub(crate) async fn get_by_login(
    conn: &mut SqliteConnection,
    login: &str,
) -> StoreResult<Option<User>> {
    Ok(login_record(conn, login).await?.map(|(user, _)| user))
}

/// The user with this login and their password hash, in one statement.
pub(crate) async fn login_record(
    conn: &mut SqliteConnection,
    login: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.login_lc = ?"
    ))
    .bind(lc(login))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::user_with_hash).transpose()
}

/// The columns a search prefix is matched against.
const SEARCH_COLUMNS: [&str; 4] = ["login_lc", "email_lc", "first_lc", "last_lc"];

/// A prefix matching at least this many users counts as dense. Walking users in id order then
/// meets a page's worth of matches within a few thousand rows, while merging and sorting the
/// index ranges would touch every match; below it, the ranges are the cheaper plan.
const DENSE_PREFIX: i64 = 2000;

/// Whether `prefix` matches at least [`DENSE_PREFIX`] users in scope (counted through the
/// columns' `(tenant_id, column)` indexes, and never past the threshold).
async fn prefix_is_dense(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    prefix: &str,
) -> StoreResult<bool> {
    let mut total = 0;
    for column in SEARCH_COLUMNS {
        let mut q = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM users u WHERE 1 = 1");
        filters::scope(&mut q, "u.tenant_id", scope);
        filters::prefix(&mut q, &format!("u.{column}"), prefix);
        q.push(" LIMIT ").push_bind(DENSE_PREFIX - total).push(")");
        let n: i64 = q
            .build_query_scalar()
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        total += n;
        if total >= DENSE_PREFIX {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Lists users in id order. The plan is spelled out rather than left to SQLite's statistics,
/// which sample only a few rows per index (a tenant of a million users then looks like a
/// few hundred, and walking its ids looks cheaper than any index range):
///
/// - with a group filter the query is driven from the group's memberships (ordered by user id
///   through their primary key), so a large table of users is never scanned for a small
///   group; `CROSS JOIN` is SQLite's way of fixing that join order;
/// - a sparse search prefix gathers the matching ids from each column's index range in scope,
///   and the page is read through the primary key in that (sorted) id list;
/// - a dense search prefix walks the scope's users in id order, filtering as it goes (a unary
///   `+` keeps SQLite from using the columns' indexes), and meets a page of matches early.
///
/// In the sparse case the other filters carry a unary `+` too, so that no index on them
/// competes with the id list.
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    query: &UserQuery,
    page: PageReq,
) -> StoreResult<Vec<User>> {
    if query.owner_in.as_ref().is_some_and(|ids| ids.is_empty()) {
        return Ok(Vec::new());
    }
    let (mut q, key) = match query.group {
        Some(group) => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {USER_COLUMNS} FROM memberships m CROSS JOIN users u ON u.id = m.user_id \
                 WHERE m.group_id = "
            ));
            q.push_bind(blob(group));
            (q, "m.user_id")
        }
        None => (
            QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE 1 = 1")),
            "u.id",
        ),
    };
    let sparse_prefix = match &query.prefix {
        Some(prefix) if query.group.is_none() => {
            (!prefix_is_dense(conn, scope, prefix).await?).then_some(prefix)
        }
        _ => None,
    };
    let mark = if sparse_prefix.is_some() { "+" } else { "" };
    match sparse_prefix {
        Some(prefix) => {
            q.push(" AND u.id IN (");
            for (i, column) in SEARCH_COLUMNS.into_iter().enumerate() {
                if i > 0 {
                    q.push(" UNION ALL ");
                }
                q.push("SELECT s.id FROM users s WHERE 1 = 1");
                filters::scope(&mut q, "s.tenant_id", scope);
                filters::prefix(&mut q, &format!("s.{column}"), prefix);
            }
            q.push(")");
        }
        None => {
            filters::scope(&mut q, "u.tenant_id", scope);
            if let Some(prefix) = &query.prefix {
                // Dense, or under a group: a filter on the rows walked, through no index.
                q.push(" AND (");
                for (i, column) in SEARCH_COLUMNS.into_iter().enumerate() {
                    if i > 0 {
                        q.push(" OR ");
                    }
                    filters::prefix_range(&mut q, &format!("+u.{column}"), prefix);
                }
                q.push(")");
            }
        }
    }
    if let Some(owner) = query.owner {
        filters::id_eq(&mut q, &format!("{mark}u.owner_id"), owner);
    }
    if let Some(owners) = &query.owner_in {
        filters::id_in(&mut q, &format!("{mark}u.owner_id"), owners);
    }
    if let Some(status) = query.status {
        filters::user_status(&mut q, "u.status", status);
    }
    if let Some(only) = query.only {
        filters::id_eq(&mut q, "u.id", only);
    }
    filters::after(&mut q, key, page, false);
    filters::order_limit(&mut q, key, page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::user)
}

pub(crate) async fn password_hash(
    conn: &mut SqliteConnection,
    user: Id,
) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = ?")
        .bind(blob(user))
        .fetch_optional(conn)
        .await
        .map_err(db_err)?;
    match row {
        Some(row) => row.try_get("password_hash").map_err(db_err),
        None => Ok(None),
    }
}

pub(crate) async fn set_password_hash(
    conn: &mut SqliteConnection,
    user: Id,
    hash: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(blob(user))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Adds to a batch: replace `user`'s password hash `from` with `to`, only while it is `from`.
pub(crate) fn push_upgrade_hash(q: &mut QueryBuilder<'_, Sqlite>, user: Id, from: &str, to: &str) {
    q.push("UPDATE users SET password_hash = ")
        .push_bind(to.to_owned())
        .push(" WHERE id = ")
        .push_bind(blob(user))
        .push(" AND password_hash = ")
        .push_bind(from.to_owned());
}

/// Users of every tenant with their password hashes, in id order.
pub(crate) async fn list_with_hashes(
    conn: &mut SqliteConnection,
    page: PageReq,
) -> StoreResult<Vec<(User, Option<String>)>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE 1 = 1"
    ));
    filters::after(&mut q, "u.id", page, false);
    filters::order_limit(&mut q, "u.id", page, false);
    let found = q.build().fetch_all(conn).await.map_err(db_err)?;
    found.iter().map(rows::user_with_hash).collect()
}
