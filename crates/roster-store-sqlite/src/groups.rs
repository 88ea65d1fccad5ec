//! Groups and memberships.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, blob, lc, micros, opt_micros, GROUP_COLUMNS, MEMBERSHIP_COLUMNS};
use roster_core::model::{Group, GroupKind, GroupQuery, Membership};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{QueryBuilder, SqliteConnection};

pub(crate) async fn insert(conn: &mut SqliteConnection, group: &Group) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO user_groups (id, tenant_id, owner_id, name, name_lc, description, level, \
         kind, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(blob(group.id))
    .bind(blob(group.tenant))
    .bind(blob(group.owner))
    .bind(&group.name)
    .bind(lc(&group.name))
    .bind(&group.description)
    .bind(group.level.as_str())
    .bind(group.kind.as_str())
    .bind(group.version)
    .bind(micros(group.created_at))
    .bind(micros(group.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(conn: &mut SqliteConnection, group: &Group) -> StoreResult<()> {
    sqlx::query(
        "UPDATE user_groups SET name = ?, name_lc = ?, description = ?, version = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(&group.name)
    .bind(lc(&group.name))
    .bind(&group.description)
    .bind(group.version)
    .bind(micros(group.updated_at))
    .bind(blob(group.id))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the group with its memberships, its project attachments and its grants.
pub(crate) async fn delete(conn: &mut SqliteConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM memberships WHERE group_id = ?",
        "DELETE FROM project_groups WHERE group_id = ?",
        "DELETE FROM grants WHERE subject_id = ?",
        "DELETE FROM user_groups WHERE id = ?",
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
) -> StoreResult<Option<Group>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.id = "
    ));
    q.push_bind(blob(id));
    filters::scope(&mut q, "g.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::group).transpose()
}

pub(crate) async fn predefined(
    conn: &mut SqliteConnection,
    owner: Id,
    kind: GroupKind,
) -> StoreResult<Option<Group>> {
    let row = sqlx::query(&format!(
        "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.owner_id = ? AND g.kind = ? \
         ORDER BY g.id LIMIT 1"
    ))
    .bind(blob(owner))
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::group).transpose()
}

/// With a member filter the query is driven from the user's memberships (`CROSS JOIN` fixes
/// that join order in SQLite).
pub(crate) async fn list(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    query: &GroupQuery,
    page: PageReq,
) -> StoreResult<Vec<Group>> {
    if query.owner_in.as_ref().is_some_and(|ids| ids.is_empty()) {
        return Ok(Vec::new());
    }
    let (mut q, key) = match query.member {
        Some(user) => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {GROUP_COLUMNS} FROM memberships m CROSS JOIN user_groups g \
                 ON g.id = m.group_id WHERE m.user_id = "
            ));
            q.push_bind(blob(user));
            (q, "m.group_id")
        }
        None => (
            QueryBuilder::new(format!(
                "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE 1 = 1"
            )),
            "g.id",
        ),
    };
    filters::scope(&mut q, "g.tenant_id", scope);
    if let Some(owner) = query.owner {
        filters::id_eq(&mut q, "g.owner_id", owner);
    }
    if let Some(owners) = &query.owner_in {
        filters::id_in(&mut q, "g.owner_id", owners);
    }
    if let Some(prefix) = &query.name_prefix {
        filters::prefix(&mut q, "g.name_lc", prefix);
    }
    filters::after(&mut q, key, page, false);
    filters::order_limit(&mut q, key, page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::group)
}

/// Rows per multi-row membership `INSERT` (6 parameters each).
const MEMBERSHIPS_PER_STATEMENT: usize = 1000;

pub(crate) async fn upsert_membership(
    conn: &mut SqliteConnection,
    m: &Membership,
) -> StoreResult<()> {
    upsert_memberships(conn, std::slice::from_ref(m)).await
}

/// Adds memberships, or replaces the validity window of existing ones, in multi-row statements.
pub(crate) async fn upsert_memberships(
    conn: &mut SqliteConnection,
    memberships: &[Membership],
) -> StoreResult<()> {
    // In key order, a large batch visits each B-tree page once instead of hopping about.
    let mut sorted: Vec<&Membership> = memberships.iter().collect();
    sorted.sort_by_key(|m| (m.group, m.user));
    for chunk in sorted.chunks(MEMBERSHIPS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(
            "INSERT INTO memberships (group_id, user_id, tenant_id, valid_from, valid_until, created_at) ",
        );
        q.push_values(chunk, |mut b, m| {
            b.push_bind(blob(m.group))
                .push_bind(blob(m.user))
                .push_bind(blob(m.tenant))
                .push_bind(opt_micros(m.valid_from))
                .push_bind(opt_micros(m.valid_until))
                .push_bind(micros(m.created_at));
        });
        q.push(
            " ON CONFLICT (group_id, user_id) DO UPDATE \
             SET valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        );
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn delete_membership(
    conn: &mut SqliteConnection,
    group: Id,
    user: Id,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM memberships WHERE group_id = ? AND user_id = ?")
        .bind(blob(group))
        .bind(blob(user))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn get_membership(
    conn: &mut SqliteConnection,
    group: Id,
    user: Id,
) -> StoreResult<Option<Membership>> {
    let row = sqlx::query(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.group_id = ? AND m.user_id = ?"
    ))
    .bind(blob(group))
    .bind(blob(user))
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::membership).transpose()
}

/// Ordered by group id.
pub(crate) async fn memberships_of_user(
    conn: &mut SqliteConnection,
    user: Id,
) -> StoreResult<Vec<Membership>> {
    let rows = sqlx::query(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.user_id = ? ORDER BY m.group_id"
    ))
    .bind(blob(user))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows::all(rows, rows::membership)
}

pub(crate) async fn list_memberships(
    conn: &mut SqliteConnection,
    group: Id,
    page: PageReq,
) -> StoreResult<Vec<Membership>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM memberships m WHERE m.group_id = "
    ));
    q.push_bind(blob(group));
    filters::after(&mut q, "m.user_id", page, false);
    filters::order_limit(&mut q, "m.user_id", page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::membership)
}

/// Memberships of every group in key order, continuing after the key `after` (a row-value
/// comparison, which the primary key serves).
pub(crate) async fn list_all_memberships(
    conn: &mut SqliteConnection,
    after: Option<(Id, Id)>,
    limit: u32,
) -> StoreResult<Vec<Membership>> {
    let mut q = QueryBuilder::new(format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships m"));
    if let Some((group, user)) = after {
        q.push(" WHERE (m.group_id, m.user_id) > (")
            .push_bind(blob(group))
            .push(", ")
            .push_bind(blob(user))
            .push(")");
    }
    q.push(" ORDER BY m.group_id, m.user_id LIMIT ")
        .push_bind(i64::from(limit));
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::membership)
}
