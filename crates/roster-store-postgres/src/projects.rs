//! Projects, their members and the org-level groups attached to them.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, lc, micros, PROJECT_COLUMNS};
use roster_core::model::{OwnedQuery, Project};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::{Id, Timestamp};
use sqlx::{PgConnection, QueryBuilder};

pub(crate) async fn insert(conn: &mut PgConnection, p: &Project) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO projects (id, tenant_id, owner_id, name, name_lc, description, exclusive, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(p.id)
    .bind(p.tenant)
    .bind(p.owner)
    .bind(&p.name)
    .bind(lc(&p.name))
    .bind(&p.description)
    .bind(p.exclusive)
    .bind(p.version)
    .bind(micros(p.created_at))
    .bind(micros(p.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(conn: &mut PgConnection, p: &Project) -> StoreResult<()> {
    sqlx::query(
        "UPDATE projects SET name = $1, name_lc = $2, description = $3, exclusive = $4, version = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&p.name)
    .bind(lc(&p.name))
    .bind(&p.description)
    .bind(p.exclusive)
    .bind(p.version)
    .bind(micros(p.updated_at))
    .bind(p.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the project with its members, its attachments and the grants held on it.
pub(crate) async fn delete(conn: &mut PgConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM grants WHERE scope_id = $1",
        "DELETE FROM project_members WHERE project_id = $1",
        "DELETE FROM project_groups WHERE project_id = $1",
        "DELETE FROM projects WHERE id = $1",
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
) -> StoreResult<Option<Project>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = "
    ));
    q.push_bind(id);
    filters::scope(&mut q, "p.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::project).transpose()
}

pub(crate) async fn list(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &OwnedQuery,
    page: PageReq,
) -> StoreResult<Vec<Project>> {
    let q = QueryBuilder::new(format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p WHERE TRUE"
    ));
    let Some(mut q) = filters::owned(q, "p", scope, query, page) else {
        return Ok(Vec::new());
    };
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::project)
}

pub(crate) async fn attach_group(
    conn: &mut PgConnection,
    project: Id,
    group: Id,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO project_groups (project_id, group_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(project)
    .bind(group)
    .bind(micros(at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn detach_group(
    conn: &mut PgConnection,
    project: Id,
    group: Id,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM project_groups WHERE project_id = $1 AND group_id = $2")
        .bind(project)
        .bind(group)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

/// Ordered by group id.
pub(crate) async fn attached_groups(conn: &mut PgConnection, project: Id) -> StoreResult<Vec<Id>> {
    ids(
        conn,
        "SELECT group_id FROM project_groups WHERE project_id = $1 ORDER BY group_id",
        project,
    )
    .await
}

/// Ordered by project id.
pub(crate) async fn projects_of_group(conn: &mut PgConnection, group: Id) -> StoreResult<Vec<Id>> {
    ids(
        conn,
        "SELECT project_id FROM project_groups WHERE group_id = $1 ORDER BY project_id",
        group,
    )
    .await
}

pub(crate) async fn add_member(
    conn: &mut PgConnection,
    project: Id,
    user: Id,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO project_members (project_id, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(project)
    .bind(user)
    .bind(micros(at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn remove_member(
    conn: &mut PgConnection,
    project: Id,
    user: Id,
) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
        .bind(project)
        .bind(user)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn list_members(
    conn: &mut PgConnection,
    project: Id,
    page: PageReq,
) -> StoreResult<Vec<(Id, Timestamp)>> {
    let mut q = QueryBuilder::new(
        "SELECT m.user_id, m.created_at FROM project_members m WHERE m.project_id = ",
    );
    q.push_bind(project);
    filters::after(&mut q, "m.user_id", page, false);
    filters::order_limit(&mut q, "m.user_id", page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::member_since)
}

/// Ordered by project id.
pub(crate) async fn projects_of_user(conn: &mut PgConnection, user: Id) -> StoreResult<Vec<Id>> {
    ids(
        conn,
        "SELECT project_id FROM project_members WHERE user_id = $1 ORDER BY project_id",
        user,
    )
    .await
}

/// The ids a query with one id parameter selects, in its order.
async fn ids(conn: &mut PgConnection, sql: &str, param: Id) -> StoreResult<Vec<Id>> {
    let rows = sqlx::query(sql)
        .bind(param)
        .fetch_all(conn)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| rows::id_at(r, 0)).collect()
}
