//! [`SqliteBulkLoad`]: loads groups, users and memberships with the secondary indexes of the
//! tables it fills dropped and their references unchecked, then builds the indexes and checks
//! the references once, at the end.
//!
//! Row by row, most of a large load goes into the B-trees: each batch of memberships lands at
//! one place per group in the `(group_id, user_id)` key, so it rewrites a page of every
//! group's range, and each membership looks its user up at a random place for its foreign
//! key. Here memberships wait in a temporary table and go into `memberships` in key order, as
//! appends; `CREATE INDEX` builds each index from one sort; and the loaded rows' references
//! are checked by one query per foreign key, in the order the rows were given. Unique indexes
//! stay, so a duplicate login fails at once as it does row by row, and what is built and
//! checked at the end comes from the schema itself (its index statements and foreign keys).
//!
//! SQLite switches foreign keys per connection and only outside a transaction, so the load
//! switches them off on the writer connection before it begins, and on again after it
//! commits. A load that does not finish takes the connection with it: closing it rolls the
//! load back, and the next borrower opens a fresh writer with the usual settings.

use crate::connections::Lease;
use crate::error::{db_err, other};
use crate::rows::{blob, micros, opt_micros};
use crate::{groups, users};
use async_trait::async_trait;
use roster_core::model::{Group, Membership, User};
use roster_core::store::{BulkLoad, StoreResult};
use sqlx::{QueryBuilder, Row, SqliteConnection};

/// The tables whose secondary indexes a load builds at the end (`user_groups` keeps its own:
/// groups are few).
const TABLES: [&str; 2] = ["users", "memberships"];

/// Staged memberships per multi-row `INSERT` (6 parameters each, under SQLite's 32,766).
const MEMBERSHIPS_PER_STATEMENT: usize = 5000;

/// Settings for the load, each with the value it goes back to after it: no reference checks
/// on each row, and helper threads for the sorter (the key-ordered copy of memberships and
/// each `CREATE INDEX`).
const SETTINGS: [(&str, &str); 2] = [("foreign_keys", "OFF"), ("threads", "2")];
const SETTINGS_AFTER: [(&str, &str); 2] = [("foreign_keys", "ON"), ("threads", "0")];

/// A bulk load on the writer connection, inside one `BEGIN IMMEDIATE` transaction.
pub(crate) struct SqliteBulkLoad {
    /// The writer connection while the load is open; `None` once it has finished.
    conn: Option<Lease>,
    /// The `CREATE INDEX` statements of the indexes dropped at the start.
    indexes: Vec<String>,
    /// The largest rowid of `users` when the load began: the loaded users are above it.
    users_before: i64,
}

impl SqliteBulkLoad {
    /// Switches the settings, begins, drops the loaded tables' non-unique indexes
    /// (remembering their definitions) and makes the temporary table memberships wait in.
    pub(crate) async fn begin(conn: Lease) -> StoreResult<Self> {
        let mut load = SqliteBulkLoad {
            conn: Some(conn),
            indexes: Vec::new(),
            users_before: 0,
        };
        let conn = load.conn()?;
        set(conn, &SETTINGS).await?;
        execute(conn, "BEGIN IMMEDIATE").await?;
        let mut drops = Vec::new();
        let mut indexes = Vec::new();
        for table in TABLES {
            // origin 'c': made by CREATE INDEX (not a primary key or UNIQUE constraint).
            let rows = sqlx::query(
                "SELECT s.name, s.sql FROM pragma_index_list(?) AS l \
                 JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = l.name \
                 WHERE l.origin = 'c' AND NOT l.\"unique\" ORDER BY s.name",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
            for row in rows {
                let name: String = row.try_get(0).map_err(db_err)?;
                drops.push(format!("DROP INDEX {}", quoted(&name)));
                indexes.push(row.try_get::<String, _>(1).map_err(db_err)?);
            }
        }
        for sql in &drops {
            execute(conn, sql).await?;
        }
        execute(
            conn,
            "CREATE TEMP TABLE bulk_memberships (group_id BLOB NOT NULL, user_id BLOB NOT NULL, \
             tenant_id BLOB NOT NULL, valid_from INTEGER NULL, valid_until INTEGER NULL, \
             created_at INTEGER NOT NULL)",
        )
        .await?;
        let users_before: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM users")
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        load.indexes = indexes;
        load.users_before = users_before.unwrap_or(0);
        Ok(load)
    }

    /// The open load's connection.
    fn conn(&mut self) -> StoreResult<&mut SqliteConnection> {
        self.conn
            .as_deref_mut()
            .ok_or_else(|| other("the bulk load has finished"))
    }

    /// Fails when a loaded row names a row that does not exist, for every foreign key of
    /// `table`; the loaded rows are those of `rows` (aliased `c`) that pass `filter`.
    async fn check_references(&mut self, table: &str, rows: &str, filter: &str) -> StoreResult<()> {
        let conn = self.conn()?;
        let keys = sqlx::query(
            "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        for key in keys {
            let parent: String = key.try_get(0).map_err(db_err)?;
            let from: String = key.try_get(1).map_err(db_err)?;
            let to: Option<String> = key.try_get(2).map_err(db_err)?;
            let to = to.ok_or_else(|| other(format!("{table}.{from}: unnamed parent key")))?;
            let (parent_q, from_q, to_q) = (quoted(&parent), quoted(&from), quoted(&to));
            let missing: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {rows} WHERE {filter} AND c.{from_q} IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM {parent_q} AS p WHERE p.{to_q} = c.{from_q})"
            ))
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
            if missing > 0 {
                return Err(other(format!(
                    "FOREIGN KEY constraint failed: {missing} loaded {table} name a missing \
                     {parent} ({from})"
                )));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl BulkLoad for SqliteBulkLoad {
    async fn insert_groups(&mut self, groups: &[Group]) -> StoreResult<()> {
        let conn = self.conn()?;
        for group in groups {
            groups::insert(conn, group).await?;
        }
        Ok(())
    }

    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()> {
        users::insert_many(self.conn()?, users).await
    }

    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()> {
        let conn = self.conn()?;
        for chunk in ms.chunks(MEMBERSHIPS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO temp.bulk_memberships (group_id, user_id, tenant_id, valid_from, \
                 valid_until, created_at) ",
            );
            q.push_values(chunk, |mut b, m| {
                b.push_bind(blob(m.group))
                    .push_bind(blob(m.user))
                    .push_bind(blob(m.tenant))
                    .push_bind(opt_micros(m.valid_from))
                    .push_bind(opt_micros(m.valid_until))
                    .push_bind(micros(m.created_at));
            });
            q.build().execute(&mut *conn).await.map_err(db_err)?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        let loaded_users = format!("c.rowid > {}", self.users_before);
        self.check_references("users", "users AS c", &loaded_users)
            .await?;
        self.check_references("memberships", "temp.bulk_memberships AS c", "true")
            .await?;
        let indexes = std::mem::take(&mut self.indexes);
        let conn = self.conn()?;
        // In key order, and in the order given within a key (rowid), so a membership given
        // twice is inserted by the first and takes the window of the last, as upserts do.
        execute(
            conn,
            "INSERT INTO memberships (group_id, user_id, tenant_id, valid_from, valid_until, \
             created_at) \
             SELECT group_id, user_id, tenant_id, valid_from, valid_until, created_at \
             FROM temp.bulk_memberships WHERE true ORDER BY group_id, user_id, rowid \
             ON CONFLICT (group_id, user_id) DO UPDATE \
             SET valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        )
        .await?;
        execute(conn, "DROP TABLE temp.bulk_memberships").await?;
        for sql in &indexes {
            execute(conn, sql).await?;
        }
        // Fresh statistics for the planner (sampled: the writer's analysis limit applies).
        for table in ["users", "user_groups", "memberships"] {
            execute(conn, &format!("ANALYZE {table}")).await?;
        }
        execute(conn, "COMMIT").await?;
        set(conn, &SETTINGS_AFTER).await?;
        // Back to its set as a usual writer.
        self.conn = None;
        Ok(())
    }
}

impl Drop for SqliteBulkLoad {
    /// An unfinished load closes its connection instead of handing it back: closing rolls the
    /// transaction back, and the settings go with the connection.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.discard();
        }
    }
}

async fn execute(conn: &mut SqliteConnection, sql: &str) -> StoreResult<()> {
    sqlx::query(sql).execute(conn).await.map_err(db_err)?;
    Ok(())
}

async fn set(conn: &mut SqliteConnection, settings: &[(&str, &str)]) -> StoreResult<()> {
    for (name, value) in settings {
        execute(conn, &format!("PRAGMA {name} = {value}")).await?;
    }
    Ok(())
}

/// An identifier quoted for SQL.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
