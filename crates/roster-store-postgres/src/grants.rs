//! Custom roles and grants.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, lc, micros, names_json, opt_micros, GRANT_COLUMNS, ROLE_COLUMNS};
use roster_core::model::{Grant, GrantQuery, OwnedQuery, Role};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{PgConnection, QueryBuilder, Row};

pub(crate) async fn insert_role(conn: &mut PgConnection, r: &Role) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO roles (id, tenant_id, owner_id, name, name_lc, description, permissions, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(r.id)
    .bind(r.tenant)
    .bind(r.owner)
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

pub(crate) async fn update_role(conn: &mut PgConnection, r: &Role) -> StoreResult<()> {
    sqlx::query(
        "UPDATE roles SET name = $1, name_lc = $2, description = $3, permissions = $4, version = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&r.name)
    .bind(lc(&r.name))
    .bind(&r.description)
    .bind(names_json(&r.permissions)?)
    .bind(r.version)
    .bind(micros(r.updated_at))
    .bind(r.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete_role(conn: &mut PgConnection, id: Id) -> StoreResult<()> {
    sqlx::query("DELETE FROM roles WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_role(
    conn: &mut PgConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<Role>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {ROLE_COLUMNS} FROM roles ro WHERE ro.id = "
    ));
    q.push_bind(id);
    filters::scope(&mut q, "ro.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::role).transpose()
}

pub(crate) async fn list_roles(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &OwnedQuery,
    page: PageReq,
) -> StoreResult<Vec<Role>> {
    let q = QueryBuilder::new(format!("SELECT {ROLE_COLUMNS} FROM roles ro WHERE TRUE"));
    let Some(mut q) = filters::owned(q, "ro", scope, query, page) else {
        return Ok(Vec::new());
    };
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::role)
}

pub(crate) async fn role_in_use(conn: &mut PgConnection, id: Id) -> StoreResult<bool> {
    let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM grants WHERE role_id = $1) AS used")
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    row.try_get("used").map_err(db_err)
}

pub(crate) async fn insert(conn: &mut PgConnection, g: &Grant) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO grants (id, tenant_id, subject_id, subject_kind, role_id, permissions, \
         scope_id, scope_kind, effect, valid_from, valid_until, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(g.id)
    .bind(g.tenant)
    .bind(g.subject)
    .bind(g.subject_kind.as_str())
    .bind(g.role)
    .bind(names_json(&g.permissions)?)
    .bind(g.scope)
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

pub(crate) async fn update(conn: &mut PgConnection, g: &Grant) -> StoreResult<()> {
    sqlx::query(
        "UPDATE grants SET effect = $1, valid_from = $2, valid_until = $3, version = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(g.effect.as_str())
    .bind(opt_micros(g.valid_from))
    .bind(opt_micros(g.valid_until))
    .bind(g.version)
    .bind(micros(g.updated_at))
    .bind(g.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete(conn: &mut PgConnection, id: Id) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM grants WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

/// The ids of the deleted grants, in id order.
pub(crate) async fn delete_between(
    conn: &mut PgConnection,
    subject: Id,
    scope: Id,
) -> StoreResult<Vec<Id>> {
    let rows =
        sqlx::query("DELETE FROM grants WHERE subject_id = $1 AND scope_id = $2 RETURNING id")
            .bind(subject)
            .bind(scope)
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
    conn: &mut PgConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<Grant>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {GRANT_COLUMNS} FROM grants gr WHERE gr.id = "
    ));
    q.push_bind(id);
    filters::scope(&mut q, "gr.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::grant).transpose()
}

pub(crate) async fn list(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &GrantQuery,
    page: PageReq,
) -> StoreResult<Vec<Grant>> {
    let mut q = QueryBuilder::new(format!("SELECT {GRANT_COLUMNS} FROM grants gr WHERE TRUE"));
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
