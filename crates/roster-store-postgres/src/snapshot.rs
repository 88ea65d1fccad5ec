//! The access snapshot: every table the access index is built from, read whole by plain
//! scans within the caller's transaction (`REPEATABLE READ`, so one consistent snapshot).

use crate::changes;
use crate::error::db_err;
use crate::rows::{
    self, ACCESS_USER_COLUMNS, GRANT_COLUMNS, GROUP_COLUMNS, MEMBERSHIP_COLUMNS, ORG_COLUMNS,
    PROJECT_COLUMNS, RESOURCE_COLUMNS, RESOURCE_GROUP_COLUMNS, ROLE_COLUMNS,
};
use futures_util::TryStreamExt;
use roster_core::model::AccessSnapshot;
use roster_core::store::StoreResult;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

/// Everything the access index is built from, in whatever order plain table scans give.
pub(crate) async fn snapshot(conn: &mut PgConnection) -> StoreResult<AccessSnapshot> {
    Ok(AccessSnapshot {
        version: changes::version(conn).await?,
        nodes: scan(
            conn,
            &format!("SELECT {ORG_COLUMNS} FROM org_nodes n"),
            rows::org_node,
        )
        .await?,
        users: scan(
            conn,
            &format!("SELECT {ACCESS_USER_COLUMNS} FROM users u"),
            rows::access_user,
        )
        .await?,
        groups: scan(
            conn,
            &format!("SELECT {GROUP_COLUMNS} FROM user_groups g"),
            rows::group,
        )
        .await?,
        memberships: scan(
            conn,
            &format!("SELECT {MEMBERSHIP_COLUMNS} FROM memberships m"),
            rows::membership,
        )
        .await?,
        projects: scan(
            conn,
            &format!("SELECT {PROJECT_COLUMNS} FROM projects p"),
            rows::project,
        )
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
        roles: scan(
            conn,
            &format!("SELECT {ROLE_COLUMNS} FROM roles ro"),
            rows::role,
        )
        .await?,
        grants: scan(
            conn,
            &format!("SELECT {GRANT_COLUMNS} FROM grants gr"),
            rows::grant,
        )
        .await?,
    })
}

/// Every row a query selects, mapped as it arrives: the rows of a large table are never
/// held all at once beside what they map to.
async fn scan<T>(
    conn: &mut PgConnection,
    sql: &str,
    map: fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut rows = sqlx::query(sql).fetch(conn);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(db_err)? {
        out.push(map(&row)?);
    }
    Ok(out)
}
