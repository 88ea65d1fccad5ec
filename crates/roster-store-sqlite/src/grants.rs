//! Custom roles and grants.

use crate::error::db_err;
use crate::filters;
use crate::rows::{
    self, blob, lc, micros, names_json, opt_blob, opt_micros, GRANT_COLUMNS, ROLE_COLUMNS,
};
use roster_core::model::{Grant, GrantQuery, OwnedQuery, Role};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{QueryBuilder, Row, SqliteConnection};

pub(crate) async fn insert_role(conn: &mut SqliteConnection, r: &Role) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO roles (id, tenant_id, owner_id, name, name_lc, description, permissions, \
         version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(blob(r.id))
    .bind(blob(r.tenant))
    .bind(blob(r.owner))
    .bind(&r.name)
    .bind(lc(&r.name))
    .bind(&r.description)
    .bind(names_json(&r.permissions)?)
    .bind(r.version)
    .bind(micros(r.created_at))
    .bind(micros(r.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update_role(conn: &mut SqliteConnection, r: &Role) -> StoreResult<()> {
    sqlx::query(
        "UPDATE roles SET name = ?, name_lc = ?, description = ?, permissions = ?, version = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(&r.name)
    .bind(lc(&r.name))
    .bind(&r.description)
    .bind(names_json(&r.permissions)?)
    .bind(r.version)
    .bind(micros(r.updated_at))
    .bind(blob(r.id))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete_role(conn: &mut SqliteConnection, id: Id) -> StoreResult<()> {
    sqlx::query("DELETE FROM roles WHERE id = ?")
        .bind(blob(id))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_role(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<Role>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {ROLE_COLUMNS} FROM roles ro WHERE ro.id = "
    ));
    q.push_bind(blob(id));
    filters::scope(&mut q, "ro.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::role).transpose()
}

pub(crate) async fn list_roles(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    query: &OwnedQuery,
    page: PageReq,
) -> StoreResult<Vec<Role>> {
    let q = QueryBuilder::new(format!("SELECT {ROLE_COLUMNS} FROM roles ro WHERE 1 = 1"));
    let Some(mut q) = filters::owned(q, "ro", scope, query, page) else {
        return Ok(Vec::new());
    };
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::role)
}

pub(crate) async fn role_in_use(conn: &mut SqliteConnection, id: Id) -> StoreResult<bool> {
    let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM grants WHERE role_id = ?) AS used")
        .bind(blob(id))
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    row.try_get("used").map_err(db_err)
}

pub(crate) async fn insert(conn: &mut SqliteConnection, g: &Grant) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO grants (id, tenant_id, subject_id, subject_kind, role_id, permissions, \
         scope_id, scope_kind, effect, valid_from, valid_until, version, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(blob(g.id))
    .bind(blob(g.tenant))
    .bind(blob(g.subject))
    .bind(g.subject_kind.as_str())
    .bind(opt_blob(g.role))
    .bind(names_json(&g.permissions)?)
    .bind(blob(g.scope))
    .bind(g.scope_kind.as_str())
    .bind(g.effect.as_str())
    .bind(opt_micros(g.valid_from))
    .bind(opt_micros(g.valid_until))
    .bind(g.version)
    .bind(micros(g.created_at))
    .bind(micros(g.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(conn: &mut SqliteConnection, g: &Grant) -> StoreResult<()> {
    sqlx::query(
        "UPDATE grants SET effect = ?, valid_from = ?, valid_until = ?, version = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(g.effect.as_str())
    .bind(opt_micros(g.valid_from))
    .bind(opt_micros(g.valid_until))
    .bind(g.version)
    .bind(micros(g.updated_at))
    .bind(blob(g.id))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete(conn: &mut SqliteConnection, id: Id) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM grants WHERE id = ?")
        .bind(blob(id))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

/// The ids of the deleted grants, in id order.
pub(crate) async fn delete_between(
    conn: &mut SqliteConnection,
    subject: Id,
    scope: Id,
) -> StoreResult<Vec<Id>> {
    let rows = sqlx::query("DELETE FROM grants WHERE subject_id = ? AND scope_id = ? RETURNING id")
        .bind(blob(subject))
        .bind(blob(scope))
        .fetch_all(conn)
        .await
        .map_err(db_err)?;
    let mut ids = rows
        .iter()
        .map(|r| rows::id_at(r, 0))
        .collect::<StoreResult<Vec<Id>>>()?;
    ids.sort();
    Ok(ids)
}

pub(crate) async fn get(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<Grant>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {GRANT_COLUMNS} FROM grants gr WHERE gr.id = "
    ));
    q.push_bind(blob(id));
    filters::scope(&mut q, "gr.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::grant).transpose()
}

pub(crate) async fn list(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    query: &GrantQuery,
    page: PageReq,
) -> StoreResult<Vec<Grant>> {
    let mut q = QueryBuilder::new(format!("SELECT {GRANT_COLUMNS} FROM grants gr WHERE 1 = 1"));
    filters::scope(&mut q, "gr.tenant_id", scope);
    if let Some(subject) = query.subject {
        filters::id_eq(&mut q, "gr.subject_id", subject);
    }
    if let Some(held_on) = query.scope {
        filters::id_eq(&mut q, "gr.scope_id", held_on);
    }
    if let Some(role) = query.role {
        filters::id_eq(&mut q, "gr.role_id", role);
    }
    filters::after(&mut q, "gr.id", page, false);
    filters::order_limit(&mut q, "gr.id", page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::grant)
}
