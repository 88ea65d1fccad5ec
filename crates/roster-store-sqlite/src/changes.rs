//! The access change log, and the snapshot every node's access index is built from.

use crate::error::db_err;
use crate::rows::{
    self, blob, ACCESS_USER_COLUMNS, GRANT_COLUMNS, GROUP_COLUMNS, MEMBERSHIP_COLUMNS, ORG_COLUMNS, PROJECT_COLUMNS,
    RESOURCE_COLUMNS, RESOURCE_GROUP_COLUMNS, ROLE_COLUMNS,
};
use roster_core::model::{AccessChange, AccessSnapshot};
use roster_core::store::StoreResult;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, SqliteConnection};

/// Rows per multi-row change `INSERT` (3 parameters each).
const CHANGES_PER_STATEMENT: usize = 1000;

/// Takes the next version (the writer connection makes writers take turns, so versions commit
/// in order) and records each distinct change under it. Without changes, nothing is written.
pub(crate) async fn record(
    conn: &mut SqliteConnection,
    changes: &[AccessChange],
) -> StoreResult<i64> {
    if changes.is_empty() {
        return version(conn).await;
    }
    let version: i64 = sqlx::query_scalar(
        "UPDATE access_version SET version = version + 1 WHERE id = 1 RETURNING version",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut distinct = changes.to_vec();
    distinct.sort_by_key(|c| (c.kind.as_str(), c.id));
    distinct.dedup();
    for chunk in distinct.chunks(CHANGES_PER_STATEMENT) {
        let mut q = QueryBuilder::new("INSERT INTO access_changes (version, kind, entity_id) ");
        q.push_values(chunk, |mut b, c| {
            b.push_bind(version)
                .push_bind(c.kind.as_str())
                .push_bind(blob(c.id));
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(version)
}

pub(crate) async fn version(conn: &mut SqliteConnection) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT version FROM access_version WHERE id = 1")
        .fetch_one(conn)
        .await
        .map_err(db_err)
}

/// Oldest first; within a version, in key order.
pub(crate) async fn since(
    conn: &mut SqliteConnection,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<(i64, AccessChange)>> {
    let rows = sqlx::query(
        "SELECT version, kind, entity_id FROM access_changes WHERE version > ? \
         ORDER BY version, kind, entity_id LIMIT ?",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows::all(rows, rows::access_change)
}

/// Every table read whole, in whatever order a plain scan gives, within the caller's
/// transaction (one snapshot of the file).
pub(crate) async fn snapshot(conn: &mut SqliteConnection) -> StoreResult<AccessSnapshot> {
    Ok(AccessSnapshot {
        version: version(conn).await?,
        nodes: scan(conn, &format!("SELECT {ORG_COLUMNS} FROM org_nodes n"), rows::org_node).await?,
        users: scan(
            conn,
            &format!("SELECT {ACCESS_USER_COLUMNS} FROM users u"),
            rows::access_user,
        )
        .await?,
        groups: scan(conn, &format!("SELECT {GROUP_COLUMNS} FROM user_groups g"), rows::group)
            .await?,
        memberships: scan(
            conn,
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships m"),
            rows::membership,
        )
        .await?,
        projects: scan(conn, &format!("SELECT {PROJECT_COLUMNS} FROM projects p"), rows::project)
            .await?,
        attachments: scan(
            conn,
            "SELECT project_id, group_id FROM project_groups",
            rows::id_pair,
        )
        .await?,
        resources: scan(
            conn,
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources r"),
            rows::resource,
        )
        .await?,
        resource_groups: scan(
            conn,
            &format!("SELECT {RESOURCE_GROUP_COLUMNS} FROM resource_groups rg"),
            rows::resource_group,
        )
        .await?,
        resource_group_members: scan(
            conn,
            "SELECT group_id, resource_id FROM resource_group_members",
            rows::id_pair,
        )
        .await?,
        roles: scan(conn, &format!("SELECT {ROLE_COLUMNS} FROM roles ro"), rows::role).await?,
        grants: scan(conn, &format!("SELECT {GRANT_COLUMNS} FROM grants gr"), rows::grant).await?,
    })
}

/// Every row a query selects, mapped.
async fn scan<T>(
    conn: &mut SqliteConnection,
    sql: &str,
    map: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sql).fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, map)
}
