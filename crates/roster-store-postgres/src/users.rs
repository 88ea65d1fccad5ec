//! Users and their password hashes.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, lc, micros, USER_COLUMNS};
use roster_core::model::{User, UserQuery};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{PgConnection, QueryBuilder};

/// Rows per multi-row `INSERT` (20 parameters each, well under PostgreSQL's 65,535).
const USERS_PER_STATEMENT: usize = 1000;

/// The columns a search prefix is matched against.
const SEARCH_COLUMNS: [&str; 4] = ["login_lc", "email_lc", "first_lc", "last_lc"];

pub(crate) async fn insert(
    conn: &mut PgConnection,
    user: &User,
    password_hash: Option<&str>,
) -> StoreResult<()> {
    insert_many(conn, &[(user.clone(), password_hash.map(str::to_string))]).await
}

/// Inserts users with multi-row statements, so bulk loads do not pay per-row overhead.
pub(crate) async fn insert_many(
    conn: &mut PgConnection,
    users: &[(User, Option<String>)],
) -> StoreResult<()> {
    for chunk in users.chunks(USERS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(
            "INSERT INTO users (id, tenant_id, owner_id, login, login_lc, email, email_lc, \
             email_verified, first_name, last_name, first_lc, last_lc, phone, kind, status, \
             must_change_password, password_hash, version, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, (user, password_hash)| {
            b.push_bind(user.id)
                .push_bind(user.tenant)
                .push_bind(user.owner)
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
pub(crate) async fn update(conn: &mut PgConnection, user: &User) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET tenant_id = $1, owner_id = $2, login = $3, login_lc = $4, email = $5, \
         email_lc = $6, email_verified = $7, first_name = $8, last_name = $9, first_lc = $10, \
         last_lc = $11, phone = $12, kind = $13, status = $14, must_change_password = $15, \
         version = $16, updated_at = $17 WHERE id = $18",
    )
    .bind(user.tenant)
    .bind(user.owner)
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
    .bind(user.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the user with their memberships, project memberships, grants and tokens
/// (explicitly, not relying on the cascades alone); audit events stay.
pub(crate) async fn delete(conn: &mut PgConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM memberships WHERE user_id = $1",
        "DELETE FROM project_members WHERE user_id = $1",
        "DELETE FROM grants WHERE subject_id = $1",
        "DELETE FROM tokens WHERE user_id = $1",
        "DELETE FROM users WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn get(
    conn: &mut PgConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<User>> {
    let mut q = QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = "));
    q.push_bind(id);
    filters::scope(&mut q, "u.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::user).transpose()
}

pub(crate) async fn get_by_login(
    conn: &mut PgConnection,
    login: &str,
) -> StoreResult<Option<User>> {
    Ok(login_record(conn, login).await?.map(|(user, _)| user))
}

/// The user with this login and their password hash, in one statement.
pub(crate) async fn login_record(
    conn: &mut PgConnection,
    login: &str,
) -> StoreResult<Option<(User, Option<String>)>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.login_lc = $1"
    ))
    .bind(lc(login))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::user_with_hash).transpose()
}

/// With a group filter the query is driven from the group's memberships (a join, which the
/// planner starts from the membership key's range for the group). A search prefix is an OR of
/// one range per search column; the planner combines their indexes or walks users in id
/// order, as its statistics suggest.
pub(crate) async fn list(
    conn: &mut PgConnection,
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
                "SELECT {USER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.group_id = "
            ));
            q.push_bind(group);
            (q, "m.user_id")
        }
        None => (
            QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users u WHERE TRUE")),
            "u.id",
        ),
    };
    filters::scope(&mut q, "u.tenant_id", scope);
    if let Some(owner) = query.owner {
        filters::id_eq(&mut q, "u.owner_id", owner);
    }
    if let Some(owners) = &query.owner_in {
        filters::id_in(&mut q, "u.owner_id", owners);
    }
    if let Some(status) = query.status {
        filters::user_status(&mut q, "u.status", status);
    }
    if let Some(prefix) = &query.prefix {
        q.push(" AND (");
        for (i, column) in SEARCH_COLUMNS.into_iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            filters::prefix_range(&mut q, &format!("u.{column}"), prefix);
        }
        q.push(")");
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
    conn: &mut PgConnection,
    user: Id,
) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(conn)
            .await
            .map_err(db_err)?;
    Ok(hash.flatten())
}

pub(crate) async fn set_password_hash(
    conn: &mut PgConnection,
    user: Id,
    hash: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Users of every tenant with their password hashes, in id order.
pub(crate) async fn list_with_hashes(
    conn: &mut PgConnection,
    page: PageReq,
) -> StoreResult<Vec<(User, Option<String>)>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE TRUE"
    ));
    filters::after(&mut q, "u.id", page, false);
    filters::order_limit(&mut q, "u.id", page, false);
    let found = q.build().fetch_all(conn).await.map_err(db_err)?;
    found.iter().map(rows::user_with_hash).collect()
}
