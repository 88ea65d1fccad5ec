//! The access snapshot: every table the access index is built from, read whole.
//!
//! sqlx hands each result row from its SQLite worker thread to the caller on its own, which
//! costs microseconds a row, far more than reading it: at 700,000 rows, seconds. So the tables
//! that grow with the install are read as aggregate rows ([`Packed`]) of 50,000 table rows
//! each, which SQLite builds in one scan and which are taken apart here in one go; parts of a
//! table rather than the whole, so that the aggregates never hold more than a few megabytes.
//! The few rows of the small tables come the ordinary way.

use crate::error::{db_err, other};
use crate::rows::{self, ORG_COLUMNS, PROJECT_COLUMNS, RESOURCE_GROUP_COLUMNS, ROLE_COLUMNS};
use chrono::DateTime;
use roster_core::model::*;
use roster_core::store::StoreResult;
use roster_core::{Id, Timestamp};
use serde::Deserialize;
use sqlx::sqlite::SqliteRow;
use sqlx::SqliteConnection;

/// Everything the access index is built from, within the caller's transaction (one snapshot of
/// the file), in whatever order plain table scans give.
pub(crate) async fn snapshot(conn: &mut SqliteConnection) -> StoreResult<AccessSnapshot> {
    snapshot_in(conn, ROWS_PER_READ).await
}

/// [`snapshot`], reading the large tables `per_read` rows at a time.
async fn snapshot_in(conn: &mut SqliteConnection, per_read: usize) -> StoreResult<AccessSnapshot> {
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
        (&["id", "tenant_id", "owner_id"], Walk::Rowid, per_read),
        "status = 'active'",
        |p, out| p.map_into(access_user, out),
    )
    .await?;
    let groups = Packed::read(
        conn,
        "user_groups",
        (&["id", "tenant_id", "owner_id"], Walk::Rowid, per_read),
        GROUP_REST,
        |p, out| p.map_into(group, out),
    )
    .await?;
    let memberships = Packed::read(
        conn,
        "memberships",
        (
            &["group_id", "user_id", "tenant_id"],
            Walk::Key(2),
            per_read,
        ),
        "valid_from, valid_until, created_at",
        |p, out| p.map_into(membership, out),
    )
    .await?;
    let projects = scan(
        conn,
        &format!("SELECT {PROJECT_COLUMNS} FROM projects p"),
        rows::project,
    )
    .await?;
    let attachments = Packed::read(
        conn,
        "project_groups",
        (&["project_id", "group_id"], Walk::Key(2), per_read),
        "0",
        |p, out| p.map_into(id_pair, out),
    )
    .await?;
    let resources = Packed::read(
        conn,
        "resources",
        (&["id", "tenant_id", "owner_id"], Walk::Rowid, per_read),
        "rtype, name, version, created_at, updated_at",
        |p, out| p.map_into(resource, out),
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
        (&["group_id", "resource_id"], Walk::Key(2), per_read),
        "0",
        |p, out| p.map_into(id_pair, out),
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
        (
            &[
                "id",
                "tenant_id",
                "subject_id",
                "ifnull(role_id, zeroblob(16))",
                "scope_id",
            ],
            Walk::Rowid,
            per_read,
        ),
        GRANT_REST,
        |p, out| p.map_into(grant, out),
    )
    .await?;
    Ok(AccessSnapshot {
        version,
        nodes,
        users,
        groups,
        memberships,
        projects,
        attachments,
        resources,
        resource_groups,
        resource_group_members,
        roles,
        grants,
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

/// Rows per aggregate read: a few megabytes of ids and JSON at a time, where one aggregate of a
/// whole table of 3,000,000 memberships held hundreds (twice over while SQLite grew it, then
/// again as Rust's copy and its parse), and made the server's peak memory at start.
const ROWS_PER_READ: usize = 50_000;

/// The order a table is read in: a table with rowids by rowid (the order its rows are
/// stored in), a table `WITHOUT ROWID` by its primary key, the first `n` of its id columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Rowid,
    Key(usize),
}

/// Where the previous part of a [`Packed::read`] ended.
enum Last {
    Rowid(i64),
    Key(Vec<Vec<u8>>),
}

/// Part of a table read in one aggregate query: the id columns of each row concatenated into
/// one blob (16 bytes each), and the other columns as a JSON array with one array per row.
/// Both aggregates see the rows in the same order, that of the table's [`Walk`].
struct Packed {
    table: &'static str,
    rows: usize,
    ids_per_row: usize,
    ids: Vec<u8>,
    rest: String,
}

impl Packed {
    /// Reads all of `table`, `per_read` rows at a time in the order of `walk`, and has `take`
    /// append each part's rows to the answer (with [`Packed::map_into`]). `id_columns` are
    /// blob expressions of 16 bytes each, never NULL; `rest` are SQL expressions.
    async fn read<T>(
        conn: &mut SqliteConnection,
        table: &'static str,
        (id_columns, walk, per_read): (&[&str], Walk, usize),
        rest: &str,
        take: impl Fn(&Packed, &mut Vec<T>) -> StoreResult<()>,
    ) -> StoreResult<Vec<T>> {
        let (key, after) = match walk {
            Walk::Rowid => ("rowid".to_owned(), "rowid > ?".to_owned()),
            Walk::Key(n) => {
                let key = id_columns[..n].join(", ");
                let after = format!("({key}) > ({})", vec!["?"; n].join(", "));
                (key, after)
            }
        };
        let sql = |after: &str| {
            format!(
                "SELECT count(*), CAST(group_concat(k, x'') AS BLOB), \
                 '[' || ifnull(group_concat(r, ','), '') || ']', max(rid) FROM (\
                 SELECT {} AS k, json_array({rest}) AS r, {} AS rid FROM {table} {after} \
                 ORDER BY {key} LIMIT {per_read})",
                id_columns.join(" || "),
                if walk == Walk::Rowid { "rowid" } else { "NULL" },
            )
        };
        let (first, next) = (sql(""), sql(&format!("WHERE {after}")));
        let mut out = Vec::new();
        let mut last: Option<Last> = None;
        loop {
            let text = if last.is_some() { &next } else { &first };
            let mut query = sqlx::query_as::<_, (i64, Option<Vec<u8>>, String, Option<i64>)>(text);
            match &last {
                Some(Last::Rowid(rowid)) => query = query.bind(*rowid),
                Some(Last::Key(ids)) => {
                    for id in ids {
                        query = query.bind(id.clone());
                    }
                }
                None => {}
            }
            let (rows, ids, rest, rowid) = query.fetch_one(&mut *conn).await.map_err(db_err)?;
            let part = Packed {
                table,
                rows: usize::try_from(rows).map_err(|e| other(format!("bad row count: {e}")))?,
                ids_per_row: id_columns.len(),
                ids: ids.unwrap_or_default(),
                rest,
            };
            take(&part, &mut out)?;
            if part.rows < per_read {
                return Ok(out);
            }
            last = Some(match walk {
                Walk::Rowid => Last::Rowid(rowid.unwrap_or(i64::MAX)),
                Walk::Key(n) => {
                    let tail = &part.ids[part.ids.len() - part.ids_per_row * 16..];
                    Last::Key(tail.chunks_exact(16).take(n).map(<[u8]>::to_vec).collect())
                }
            });
        }
    }

    /// Appends the rows to `out`, each mapped from its ids and its other columns (parsed from
    /// the JSON, borrowing text where they can).
    fn map_into<'a, R: Deserialize<'a>, T>(
        &'a self,
        map: fn(&[Id], R) -> StoreResult<T>,
        out: &mut Vec<T>,
    ) -> StoreResult<()> {
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
        out.reserve(self.rows);
        for (bytes, rest) in self.ids.chunks_exact(width).zip(rest) {
            for (id, b) in ids.iter_mut().zip(bytes.chunks_exact(16)) {
                *id = Id::from_slice(b).map_err(|e| bad(e.to_string()))?;
            }
            out.push(map(&ids, rest)?);
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    /// Reading a table in parts gives every row once, whether the last part is short, full or
    /// empty: by rowid (resources, inserted in an order their ids do not follow) and by a key
    /// of two columns (memberships, whose parts meet inside a group).
    #[tokio::test]
    async fn parts_add_up_to_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_and_migrate(&dir.path().join("db"))
            .await
            .unwrap();
        let mut conn = store.writer.lease().await.unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
        let groups = [Id::now_v7(), Id::now_v7()];
        let mut expected = Vec::new();
        for (i, user) in (0..7).map(|_| Id::now_v7()).enumerate() {
            let group = groups[i % 2];
            let until = (i % 3 == 0).then_some(2_000_000_000_000_000 + i as i64);
            sqlx::query(
                "INSERT INTO memberships (group_id, user_id, tenant_id, valid_from, \
                 valid_until, created_at) VALUES (?, ?, ?, NULL, ?, ?)",
            )
            .bind(group.as_bytes().to_vec())
            .bind(user.as_bytes().to_vec())
            .bind(groups[0].as_bytes().to_vec())
            .bind(until)
            .bind(1_700_000_000_000_000 + i as i64)
            .execute(&mut *conn)
            .await
            .unwrap();
            expected.push((group, user, until));
        }
        expected.sort();
        let mut resources = Vec::new();
        for i in 0..7 {
            let id = Id::now_v7();
            resources.push((id, format!("r{i}")));
            sqlx::query(
                "INSERT INTO resources (id, tenant_id, owner_id, rtype, name, name_lc, version, \
                 created_at, updated_at) VALUES (?, ?, ?, 'device', ?, ?, 1, 0, 0)",
            )
            .bind(id.as_bytes().to_vec())
            .bind(groups[0].as_bytes().to_vec())
            .bind(groups[0].as_bytes().to_vec())
            .bind(format!("r{i}"))
            .bind(format!("r{i}"))
            .execute(&mut *conn)
            .await
            .unwrap();
            // Rowids follow insertion; make them disagree with the ids' order.
            sqlx::query("UPDATE resources SET rowid = ? WHERE id = ?")
                .bind(100 - i)
                .bind(id.as_bytes().to_vec())
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        resources.reverse();
        for per_read in [1, 2, 3, 7, 8, 1000] {
            let read = snapshot_in(&mut conn, per_read).await.unwrap();
            let got: Vec<_> = read
                .resources
                .iter()
                .map(|r| (r.id, r.name.clone()))
                .collect();
            assert_eq!(got, resources, "{per_read} rows at a time");
            let got: Vec<_> = read
                .memberships
                .iter()
                .map(|m| (m.group, m.user, m.valid_until.map(|t| t.timestamp_micros())))
                .collect();
            assert_eq!(got, expected, "{per_read} rows at a time");
        }
    }
}
