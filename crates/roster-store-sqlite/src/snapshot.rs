//! The access snapshot: every table the access index is built from, read whole.
//!
//! sqlx hands each result row from its SQLite worker thread to the caller on its own, which
//! costs microseconds a row, far more than reading it: at 700,000 rows, seconds. So the tables
//! that grow with the install are read as one aggregate row each ([`Packed`]), which SQLite
//! builds in one scan and which is taken apart here in one go. The few rows of the small tables
//! come the ordinary way.

use crate::error::{db_err, other};
use crate::rows::{self, ORG_COLUMNS, PROJECT_COLUMNS, RESOURCE_GROUP_COLUMNS, ROLE_COLUMNS};
use chrono::DateTime;
use roster_core::model::*;
use roster_core::store::StoreResult;
use roster_core::{Id, Timestamp};
use serde::Deserialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

/// Everything the access index is built from, within the caller's transaction (one snapshot of
/// the file), in whatever order plain table scans give.
pub(crate) async fn snapshot(conn: &mut SqliteConnection) -> StoreResult<AccessSnapshot> {
    let version = crate::changes::version(conn).await?;
    let nodes = scan(
        conn,
        &format!("SELECT {ORG_COLUMNS} FROM org_nodes n"),
        rows::org_node,
    )
    .await?;
    let users = Packed::read(
        conn,
        "users",
        &["id", "tenant_id", "owner_id"],
        "status = 'active'",
    );
    let users = users.await?;
    let groups = Packed::read(
        conn,
        "user_groups",
        &["id", "tenant_id", "owner_id"],
        GROUP_REST,
    );
    let groups = groups.await?;
    let memberships = Packed::read(
        conn,
        "memberships",
        &["group_id", "user_id", "tenant_id"],
        "valid_from, valid_until, created_at",
    )
    .await?;
    let projects = scan(
        conn,
        &format!("SELECT {PROJECT_COLUMNS} FROM projects p"),
        rows::project,
    )
    .await?;
    let attachments =
        Packed::read(conn, "project_groups", &["project_id", "group_id"], "0").await?;
    let resources = Packed::read(
        conn,
        "resources",
        &["id", "tenant_id", "owner_id"],
        "rtype, name, version, created_at, updated_at",
    )
    .await?;
    let resource_groups = scan(
        conn,
        &format!("SELECT {RESOURCE_GROUP_COLUMNS} FROM resource_groups rg"),
        rows::resource_group,
    )
    .await?;
    let resource_group_members = Packed::read(
        conn,
        "resource_group_members",
        &["group_id", "resource_id"],
        "0",
    )
    .await?;
    let roles = scan(
        conn,
        &format!("SELECT {ROLE_COLUMNS} FROM roles ro"),
        rows::role,
    )
    .await?;
    let grants = Packed::read(
        conn,
        "grants",
        &[
            "id",
            "tenant_id",
            "subject_id",
            "ifnull(role_id, zeroblob(16))",
            "scope_id",
        ],
        GRANT_REST,
    )
    .await?;
    Ok(AccessSnapshot {
        version,
        nodes,
        users: users.map(access_user)?,
        groups: groups.map(group)?,
        memberships: memberships.map(membership)?,
        projects,
        attachments: attachments.map(id_pair)?,
        resources: resources.map(resource)?,
        resource_groups,
        resource_group_members: resource_group_members.map(id_pair)?,
        roles,
        grants: grants.map(grant)?,
    })
}

fn access_user(ids: &[Id], (active,): (u8,)) -> StoreResult<AccessUser> {
    Ok(AccessUser {
        id: ids[0],
        tenant: ids[1],
        owner: ids[2],
        active: active != 0,
    })
}

/// What [`group`] reads besides the ids.
const GROUP_REST: &str = "name, description, level, kind, version, created_at, updated_at";

type GroupRest<'a> = (String, String, &'a str, &'a str, i64, i64, i64);

fn group(ids: &[Id], rest: GroupRest<'_>) -> StoreResult<Group> {
    let (name, description, level, kind, version, created, updated) = rest;
    Ok(Group {
        id: ids[0],
        tenant: ids[1],
        owner: ids[2],
        name,
        description,
        level: parse(level, GroupLevel::parse)?,
        kind: parse(kind, GroupKind::parse)?,
        version,
        created_at: time(created)?,
        updated_at: time(updated)?,
    })
}

fn membership(
    ids: &[Id],
    (from, until, created): (Option<i64>, Option<i64>, i64),
) -> StoreResult<Membership> {
    Ok(Membership {
        group: ids[0],
        user: ids[1],
        tenant: ids[2],
        valid_from: from.map(time).transpose()?,
        valid_until: until.map(time).transpose()?,
        created_at: time(created)?,
    })
}

fn resource(
    ids: &[Id],
    (rtype, name, version, created, updated): (String, String, i64, i64, i64),
) -> StoreResult<Resource> {
    Ok(Resource {
        id: ids[0],
        tenant: ids[1],
        owner: ids[2],
        rtype,
        name,
        version,
        created_at: time(created)?,
        updated_at: time(updated)?,
    })
}

/// What [`grant`] reads besides the ids (the permissions embedded as the JSON they are stored
/// as).
const GRANT_REST: &str = "subject_kind, json(permissions), scope_kind, effect, valid_from, \
     valid_until, version, created_at, updated_at";

type GrantRest<'a> = (
    &'a str,
    Vec<String>,
    &'a str,
    &'a str,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
);

/// The role id reads as the nil id when the grant has none.
fn grant(ids: &[Id], rest: GrantRest<'_>) -> StoreResult<Grant> {
    let (subject_kind, permissions, scope_kind, effect, from, until, version, created, updated) =
        rest;
    Ok(Grant {
        id: ids[0],
        tenant: ids[1],
        subject: ids[2],
        subject_kind: parse(subject_kind, SubjectKind::parse)?,
        role: Some(ids[3]).filter(|role| !role.is_nil()),
        permissions,
        scope: ids[4],
        scope_kind: parse(scope_kind, ScopeKind::parse)?,
        effect: parse(effect, Effect::parse)?,
        valid_from: from.map(time).transpose()?,
        valid_until: until.map(time).transpose()?,
        version,
        created_at: time(created)?,
        updated_at: time(updated)?,
    })
}

fn id_pair(ids: &[Id], _: (u8,)) -> StoreResult<(Id, Id)> {
    Ok((ids[0], ids[1]))
}

fn time(micros: i64) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| other(format!("time out of range: {micros}")))
}

fn parse<T>(name: &str, parse: fn(&str) -> Option<T>) -> StoreResult<T> {
    parse(name).ok_or_else(|| other(format!("unknown value {name:?}")))
}

/// A table read whole in one aggregate query: the id columns of every row concatenated into
/// one blob (16 bytes each), and the other columns as a JSON array with one array per row.
/// Both aggregates see the rows in the same order.
struct Packed {
    table: &'static str,
    rows: usize,
    ids_per_row: usize,
    ids: Vec<u8>,
    rest: String,
}

impl Packed {
    /// Reads `table`: the blobs `id_columns` (expressions of 16 bytes each, never NULL) and
    /// the SQL expressions `rest`.
    async fn read(
        conn: &mut SqliteConnection,
        table: &'static str,
        id_columns: &[&str],
        rest: &str,
    ) -> StoreResult<Packed> {
        let row = sqlx::query(&format!(
            "SELECT count(*), CAST(group_concat({}, x'') AS BLOB), \
             json_group_array(json_array({rest})) FROM {table}",
            id_columns.join(" || ")
        ))
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
        let rows: i64 = row.try_get(0).map_err(db_err)?;
        let ids: Option<Vec<u8>> = row.try_get(1).map_err(db_err)?;
        Ok(Packed {
            table,
            rows: usize::try_from(rows).map_err(|e| other(format!("bad row count: {e}")))?,
            ids_per_row: id_columns.len(),
            ids: ids.unwrap_or_default(),
            rest: row.try_get(2).map_err(db_err)?,
        })
    }

    /// The rows, each mapped from its ids and its other columns (parsed from the JSON,
    /// borrowing text where they can).
    fn map<'a, R: Deserialize<'a>, T>(
        &'a self,
        map: fn(&[Id], R) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let bad = |what: String| other(format!("cannot read the rows of {}: {what}", self.table));
        let rest: Vec<R> = serde_json::from_str(&self.rest).map_err(|e| bad(e.to_string()))?;
        let width = self.ids_per_row * 16;
        if rest.len() != self.rows || self.ids.len() != self.rows * width {
            return Err(bad(format!(
                "{} rows, {} bytes of ids, {} JSON rows (an id is not 16 bytes long)",
                self.rows,
                self.ids.len(),
                rest.len()
            )));
        }
        let mut ids = vec![Id::nil(); self.ids_per_row];
        self.ids
            .chunks_exact(width)
            .zip(rest)
            .map(|(bytes, rest)| {
                for (id, b) in ids.iter_mut().zip(bytes.chunks_exact(16)) {
                    *id = Id::from_slice(b).map_err(|e| bad(e.to_string()))?;
                }
                map(&ids, rest)
            })
            .collect()
    }
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
