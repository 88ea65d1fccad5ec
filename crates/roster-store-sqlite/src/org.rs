//! The org tree: nodes, their listing, subtrees and emptiness.

use crate::error::db_err;
use crate::filters;
use crate::rows::{self, blob, lc, micros, opt_blob, path_text, ORG_COLUMNS};
use roster_core::model::{GroupKind, OrgNode, OrgQuery};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use roster_core::Id;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

pub(crate) async fn insert(conn: &mut SqliteConnection, node: &OrgNode) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO org_nodes (id, kind, name, name_lc, parent_id, tenant_id, path, version, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(blob(node.id))
    .bind(node.kind.as_str())
    .bind(&node.name)
    .bind(lc(&node.name))
    .bind(opt_blob(node.parent))
    .bind(blob(node.tenant))
    .bind(path_text(&node.path))
    .bind(node.version)
    .bind(micros(node.created_at))
    .bind(micros(node.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn update(conn: &mut SqliteConnection, node: &OrgNode) -> StoreResult<()> {
    sqlx::query(
        "UPDATE org_nodes SET name = ?, name_lc = ?, version = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&node.name)
    .bind(lc(&node.name))
    .bind(node.version)
    .bind(micros(node.updated_at))
    .bind(blob(node.id))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Deletes the grants held on the node, the node's predefined groups with their memberships,
/// project attachments and grants, then the node.
pub(crate) async fn delete(conn: &mut SqliteConnection, id: Id) -> StoreResult<()> {
    for sql in [
        "DELETE FROM grants WHERE scope_id = ?1 OR subject_id IN \
         (SELECT id FROM user_groups WHERE owner_id = ?1 AND kind <> ?2)",
        "DELETE FROM project_groups WHERE group_id IN \
         (SELECT id FROM user_groups WHERE owner_id = ?1 AND kind <> ?2)",
        "DELETE FROM memberships WHERE group_id IN \
         (SELECT id FROM user_groups WHERE owner_id = ?1 AND kind <> ?2)",
        "DELETE FROM user_groups WHERE owner_id = ?1 AND kind <> ?2",
    ] {
        sqlx::query(sql)
            .bind(blob(id))
            .bind(GroupKind::Custom.as_str())
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    sqlx::query("DELETE FROM org_nodes WHERE id = ?")
        .bind(blob(id))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    id: Id,
) -> StoreResult<Option<OrgNode>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {ORG_COLUMNS} FROM org_nodes n WHERE n.id = "
    ));
    q.push_bind(blob(id));
    filters::scope(&mut q, "n.tenant_id", scope);
    let row = q.build().fetch_optional(conn).await.map_err(db_err)?;
    row.as_ref().map(rows::org_node).transpose()
}

pub(crate) async fn list(
    conn: &mut SqliteConnection,
    scope: TenantScope,
    query: &OrgQuery,
    page: PageReq,
) -> StoreResult<Vec<OrgNode>> {
    let within = match &query.within {
        Some(nodes) => {
            let paths = outermost(paths_of(&mut *conn, nodes).await?);
            if paths.is_empty() {
                return Ok(Vec::new());
            }
            Some(paths)
        }
        None => None,
    };
    let mut q = QueryBuilder::new(format!("SELECT {ORG_COLUMNS} FROM org_nodes n WHERE 1 = 1"));
    filters::scope(&mut q, "n.tenant_id", scope);
    if let Some(kind) = query.kind {
        filters::text_eq(&mut q, "n.kind", kind.as_str());
    }
    if let Some(parent) = query.parent {
        filters::id_eq(&mut q, "n.parent_id", parent);
    }
    if let Some(paths) = &within {
        q.push(" AND (");
        for (i, path) in paths.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            filters::prefix_range(&mut q, "n.path", path);
        }
        q.push(")");
    }
    if let Some(prefix) = &query.name_prefix {
        filters::prefix(&mut q, "n.name_lc", prefix);
    }
    filters::after(&mut q, "n.id", page, false);
    filters::order_limit(&mut q, "n.id", page, false);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::org_node)
}

/// The stored paths of the given nodes (those that exist).
async fn paths_of(conn: &mut SqliteConnection, nodes: &[Id]) -> StoreResult<Vec<String>> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new("SELECT path FROM org_nodes WHERE 1 = 1");
    filters::id_in(&mut q, "id", nodes);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("path").map_err(db_err))
        .collect()
}

/// Drops the paths that lie inside another of the paths: their subtrees are covered already.
fn outermost(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    let mut kept: Vec<String> = Vec::with_capacity(paths.len());
    for path in paths {
        if !kept.last().is_some_and(|k| path.starts_with(k.as_str())) {
            kept.push(path);
        }
    }
    kept
}

pub(crate) async fn subtree_ids(conn: &mut SqliteConnection, node: Id) -> StoreResult<Vec<Id>> {
    let Some(path) = paths_of(&mut *conn, &[node]).await?.pop() else {
        return Ok(Vec::new());
    };
    let mut q = QueryBuilder::<Sqlite>::new("SELECT id FROM org_nodes WHERE ");
    filters::prefix_range(&mut q, "path", &path);
    q.push(" ORDER BY path");
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows.iter().map(|r| rows::id_at(r, "id")).collect()
}

pub(crate) async fn in_use(conn: &mut SqliteConnection, id: Id) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM org_nodes WHERE parent_id = ?1) \
             OR EXISTS (SELECT 1 FROM users WHERE owner_id = ?1) \
             OR EXISTS (SELECT 1 FROM user_groups WHERE owner_id = ?1 AND kind = ?2) \
             OR EXISTS (SELECT 1 FROM projects WHERE owner_id = ?1) \
             OR EXISTS (SELECT 1 FROM resources WHERE owner_id = ?1) \
             OR EXISTS (SELECT 1 FROM resource_groups WHERE owner_id = ?1) \
             OR EXISTS (SELECT 1 FROM roles WHERE owner_id = ?1) AS used",
    )
    .bind(blob(id))
    .bind(GroupKind::Custom.as_str())
    .fetch_one(conn)
    .await
    .map_err(db_err)?;
    row.try_get("used").map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::outermost;

    #[test]
    fn outermost_drops_nested_paths() {
        let p = |s: &str| s.to_owned();
        assert_eq!(
            outermost(vec![p("a/b/"), p("a/"), p("c/"), p("a/b/c/"), p("ab/")]),
            vec![p("a/"), p("ab/"), p("c/")]
        );
    }
}
