//! Resource types, resources, resource groups and their members.

use crate::error::db_err;
use crate::filters;
use crate::rows::{
    self, lc, micros, names_json, RESOURCE_COLUMNS, RESOURCE_GROUP_COLUMNS, RESOURCE_TYPE_COLUMNS,
};
use roster_core::model::{OwnedQuery, Resource, ResourceGroup, ResourceQuery, ResourceType};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{PgConnection, QueryBuilder, Row};

/// Registers a type, or replaces its actions (keeping when it was registered).
pub(crate) async fn upsert_type(conn: &mut PgConnection, t: &ResourceType) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO resource_types (name, actions, created_at, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET actions = excluded.actions, \
         updated_at = excluded.updated_at",
    )
    .bind(&t.name)
    .bind(names_json(&t.actions)?)
    .bind(micros(t.created_at))
    .bind(micros(t.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_type(
    conn: &mut PgConnection,
    name: &str,
) -> StoreResult<Option<ResourceType>> {
    let row = sqlx::query(&format!(
        "SELECT {RESOURCE_TYPE_COLUMNS} FROM resource_types t WHERE t.name = $1"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(rows::resource_type).transpose()
}

pub(crate) async fn list_types(conn: &mut PgConnection) -> StoreResult<Vec<ResourceType>> {
    let rows = sqlx::query(&format!(
        "SELECT {RESOURCE_TYPE_COLUMNS} FROM resource_types t ORDER BY t.name"
    ))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows::all(rows, rows::resource_type)
}

pub(crate) async fn delete_type(conn: &mut PgConnection, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM resource_types WHERE name = $1")
        .bind(name)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn type_in_use(conn: &mut PgConnection, name: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT EXISTS (SELECT 1 FROM resources WHERE rtype = $1) AS used")
        .bind(name)
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    row.try_get("used").map_err(db_err)
}

pub(crate) async fn insert(conn: &mut PgConnection, r: &Resource) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO resources (id, tenant_id, owner_id, rtype, name, name_lc, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id)
    .bind(r.tenant)
    .bind(r.owner)
    .bind(&r.rtype)
    .bind(&r.name)
    .bind(lc(&r.name))
    .bind(r.version)
    .bind(micros(r.created_at))
    .bind(micros(r.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(conn: &mut PgConnection, r: &Resource) -> StoreResult<()> {
    sqlx::query(
        "UPDATE resources SET name = $1, name_lc = $2, owner_id = $3, version = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(&r.name)
    .bind(lc(&r.name))
    .bind(r.owner)
    .bind(r.version)
    .bind(micros(r.updated_at))
    .bind(r.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the resource with its resource-group memberships and the grants held on it.
pub(crate) async fn delete(conn: &mut PgConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM grants WHERE scope_id = $1",
        "DELETE FROM resource_group_members WHERE resource_id = $1",
        "DELETE FROM resources WHERE id = $1",
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
) -> StoreResult<Option<Resource>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources r WHERE r.id = "
    ));
    q.push_bind(id);
    filters::scope(&mut q, "r.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::resource).transpose()
}

/// With a group filter the query is driven from the group's members.
pub(crate) async fn list(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &ResourceQuery,
    page: PageReq,
) -> StoreResult<Vec<Resource>> {
    if query.owner_in.as_ref().is_some_and(|ids| ids.is_empty()) {
        return Ok(Vec::new());
    }
    let (mut q, key) = match query.group {
        Some(group) => {
            let mut q = QueryBuilder::new(format!(
                "SELECT {RESOURCE_COLUMNS} FROM resource_group_members m JOIN resources r \
                 ON r.id = m.resource_id WHERE m.group_id = "
            ));
            q.push_bind(group);
            (q, "m.resource_id")
        }
        None => (
            QueryBuilder::new(format!(
                "SELECT {RESOURCE_COLUMNS} FROM resources r WHERE TRUE"
            )),
            "r.id",
        ),
    };
    filters::scope(&mut q, "r.tenant_id", scope);
    if let Some(owner) = query.owner {
        filters::id_eq(&mut q, "r.owner_id", owner);
    }
    if let Some(owners) = &query.owner_in {
        filters::id_in(&mut q, "r.owner_id", owners);
    }
    if let Some(rtype) = &query.rtype {
        filters::text_eq(&mut q, "r.rtype", rtype);
    }
    if let Some(prefix) = &query.name_prefix {
        filters::prefix(&mut q, "r.name_lc", prefix);
    }
    filters::after(&mut q, key, page, false);
    filters::order_limit(&mut q, key, page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::resource)
}

pub(crate) async fn insert_group(conn: &mut PgConnection, g: &ResourceGroup) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO resource_groups (id, tenant_id, owner_id, name, name_lc, description, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(g.id)
    .bind(g.tenant)
    .bind(g.owner)
    .bind(&g.name)
    .bind(lc(&g.name))
    .bind(&g.description)
    .bind(g.version)
    .bind(micros(g.created_at))
    .bind(micros(g.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update_group(conn: &mut PgConnection, g: &ResourceGroup) -> StoreResult<()> {
    sqlx::query(
        "UPDATE resource_groups SET name = $1, name_lc = $2, description = $3, version = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&g.name)
    .bind(lc(&g.name))
    .bind(&g.description)
    .bind(g.version)
    .bind(micros(g.updated_at))
    .bind(g.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the resource group with its memberships (not the resources) and the grants held on
/// it.
pub(crate) async fn delete_group(conn: &mut PgConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM grants WHERE scope_id = $1",
        "DELETE FROM resource_group_members WHERE group_id = $1",
        "DELETE FROM resource_groups WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn get_group(
    conn: &mut PgConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<ResourceGroup>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {RESOURCE_GROUP_COLUMNS} FROM resource_groups rg WHERE rg.id = "
    ));
    q.push_bind(id);
    filters::scope(&mut q, "rg.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::resource_group).transpose()
}

pub(crate) async fn list_groups(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &OwnedQuery,
    page: PageReq,
) -> StoreResult<Vec<ResourceGroup>> {
    let q = QueryBuilder::new(format!(
        "SELECT {RESOURCE_GROUP_COLUMNS} FROM resource_groups rg WHERE TRUE"
    ));
    let Some(mut q) = filters::owned(q, "rg", scope, query, page) else {
        return Ok(Vec::new());
    };
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::resource_group)
}

pub(crate) async fn add_member(
    conn: &mut PgConnection,
    group: Id,
    resource: Id,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO resource_group_members (group_id, resource_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(group)
    .bind(resource)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn remove_member(
    conn: &mut PgConnection,
    group: Id,
    resource: Id,
) -> StoreResult<bool> {
    let done =
        sqlx::query("DELETE FROM resource_group_members WHERE group_id = $1 AND resource_id = $2")
            .bind(group)
            .bind(resource)
            .execute(conn)
            .await
            .map_err(db_err)?;
    Ok(done.rows_affected() > 0)
}

/// Ordered by group id.
pub(crate) async fn groups_of(conn: &mut PgConnection, resource: Id) -> StoreResult<Vec<Id>> {
    let rows = sqlx::query(
        "SELECT group_id FROM resource_group_members WHERE resource_id = $1 ORDER BY group_id",
    )
    .bind(resource)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| rows::id_at(r, 0)).collect()
}
