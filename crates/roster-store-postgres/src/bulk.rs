//! [`PgBulkLoad`]: loads groups, users and memberships with `COPY`, with the secondary
//! indexes and foreign keys of the tables it fills dropped, and builds them again, once, at
//! the end.
//!
//! Row by row, a large load spends its time planning multi-row `INSERT`s, maintaining five
//! more indexes per user and one per membership, and checking each membership's references
//! (a lookup and a row lock on its user and its group). Here users go in with `COPY`,
//! memberships wait in a temporary table and go into `memberships` in key order when the load
//! finishes, each dropped index is built from one sort and each foreign key is checked by one
//! join. Primary keys and unique constraints stay, so a duplicate login fails at once as it
//! does row by row, and what is built again is exactly what was dropped, from the catalog's
//! own definitions.

use crate::error::{db_err, other};
use crate::groups;
use crate::rows::{lc, micros, opt_micros};
use async_trait::async_trait;
use roster_core::model::{Group, Membership, User};
use roster_core::store::{BulkLoad, StoreResult};
use sqlx::{PgConnection, Postgres, Row, Transaction};

/// Settings for the load's own transaction (`SET LOCAL`): memory for the sorts of the
/// key-ordered copy of memberships and of each index build.
const SETTINGS: [&str; 2] = [
    "SET LOCAL work_mem = '256MB'",
    "SET LOCAL maintenance_work_mem = '512MB'",
];

/// The tables whose non-unique indexes and foreign keys a load rebuilds at the end.
const TABLES: &str = "ARRAY['users'::regclass, 'memberships'::regclass]";

/// A bulk load inside one write transaction.
pub(crate) struct PgBulkLoad {
    tx: Transaction<'static, Postgres>,
    /// Statements that rebuild what was dropped at the start, in order: indexes, then foreign
    /// keys.
    rebuild: Vec<String>,
}

impl PgBulkLoad {
    /// Drops the loaded tables' non-unique indexes and foreign keys (remembering their
    /// definitions) and makes the temporary table memberships wait in.
    pub(crate) async fn begin(mut tx: Transaction<'static, Postgres>) -> StoreResult<Self> {
        for sql in SETTINGS {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
        let indexes = sqlx::query(&format!(
            "SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) \
             FROM pg_index x WHERE x.indrelid = ANY ({TABLES}) AND NOT x.indisunique \
             ORDER BY 1"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let keys = sqlx::query(&format!(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY ({TABLES}) \
             ORDER BY 1, 2"
        ))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut drop = Vec::new();
        let mut rebuild = Vec::new();
        for row in &indexes {
            let name: String = row.try_get(0).map_err(db_err)?;
            let def: String = row.try_get(1).map_err(db_err)?;
            drop.push(format!("DROP INDEX {name}"));
            rebuild.push(def);
        }
        for row in &keys {
            let table: String = row.try_get(0).map_err(db_err)?;
            let name: String = row.try_get(1).map_err(db_err)?;
            let def: String = row.try_get(2).map_err(db_err)?;
            drop.push(format!("ALTER TABLE {table} DROP CONSTRAINT {name}"));
            rebuild.push(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"));
        }
        drop.push(
            "CREATE TEMP TABLE bulk_memberships (seq bigint GENERATED ALWAYS AS IDENTITY, \
             group_id uuid NOT NULL, user_id uuid NOT NULL, tenant_id uuid NOT NULL, \
             valid_from bigint NULL, valid_until bigint NULL, created_at bigint NOT NULL) \
             ON COMMIT DROP"
                .into(),
        );
        for sql in &drop {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
        Ok(PgBulkLoad { tx, rebuild })
    }
}

#[async_trait]
impl BulkLoad for PgBulkLoad {
    async fn insert_groups(&mut self, groups: &[Group]) -> StoreResult<()> {
        for group in groups {
            groups::insert(&mut self.tx, group).await?;
        }
        Ok(())
    }

    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()> {
        let mut data = String::new();
        for (u, hash) in users {
            let fields = [
                Some(u.id.to_string()),
                Some(u.tenant.to_string()),
                Some(u.owner.to_string()),
                Some(u.login.clone()),
                Some(lc(&u.login)),
                u.email.clone(),
                u.email.as_deref().map(lc),
                Some(bool_text(u.email_verified)),
                u.first_name.clone(),
                u.last_name.clone(),
                u.first_name.as_deref().map(lc),
                u.last_name.as_deref().map(lc),
                u.phone.clone(),
                Some(u.kind.as_str().into()),
                Some(u.status.as_str().into()),
                Some(bool_text(u.must_change_password)),
                hash.clone(),
                Some(u.version.to_string()),
                Some(micros(u.created_at).to_string()),
                Some(micros(u.updated_at).to_string()),
            ];
            push_line(&mut data, &fields);
        }
        copy_in(
            &mut self.tx,
            "COPY users (id, tenant_id, owner_id, login, login_lc, email, email_lc, \
             email_verified, first_name, last_name, first_lc, last_lc, phone, kind, status, \
             must_change_password, password_hash, version, created_at, updated_at) FROM STDIN",
            data,
        )
        .await
    }

    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()> {
        let mut data = String::new();
        for m in ms {
            let fields = [
                Some(m.group.to_string()),
                Some(m.user.to_string()),
                Some(m.tenant.to_string()),
                opt_micros(m.valid_from).map(|t| t.to_string()),
                opt_micros(m.valid_until).map(|t| t.to_string()),
                Some(micros(m.created_at).to_string()),
            ];
            push_line(&mut data, &fields);
        }
        copy_in(
            &mut self.tx,
            "COPY bulk_memberships (group_id, user_id, tenant_id, valid_from, valid_until, \
             created_at) FROM STDIN",
            data,
        )
        .await
    }

    async fn finish(mut self: Box<Self>) -> StoreResult<()> {
        // In key order, one row per key: the window of the last given, the creation time of
        // the first (as upserts one after another would leave it). One statement may not
        // touch a row twice, hence the merge before the insert.
        sqlx::query(
            "INSERT INTO memberships (group_id, user_id, tenant_id, valid_from, valid_until, \
             created_at) \
             SELECT DISTINCT ON (group_id, user_id) group_id, user_id, tenant_id, valid_from, \
             valid_until, last_value(created_at) OVER (PARTITION BY group_id, user_id \
             ORDER BY seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) \
             FROM bulk_memberships ORDER BY group_id, user_id, seq DESC \
             ON CONFLICT (group_id, user_id) DO UPDATE \
             SET valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        )
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        for sql in &self.rebuild {
            sqlx::query(sql)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        }
        // Fresh statistics for the planner now, not when autovacuum comes round to it.
        sqlx::query("ANALYZE users, user_groups, memberships")
            .execute(&mut *self.tx)
            .await
            .map_err(db_err)?;
        self.tx.commit().await.map_err(db_err)
    }
}

/// `COPY … FROM STDIN` of one buffer in PostgreSQL's text format.
async fn copy_in(conn: &mut PgConnection, statement: &str, data: String) -> StoreResult<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(statement).await.map_err(db_err)?;
    if let Err(e) = copy.send(data.into_bytes()).await {
        copy.abort("sending failed")
            .await
            .map_err(|a| other(format!("{e}; then {a}")))?;
        return Err(db_err(e));
    }
    copy.finish().await.map_err(db_err)?;
    Ok(())
}

/// Appends one row of `COPY`'s text format: fields separated by tabs, `\N` for NULL,
/// backslashes, tabs and line breaks escaped (nothing else needs it).
fn push_line(out: &mut String, fields: &[Option<String>]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match field {
            None => out.push_str("\\N"),
            Some(text) => {
                for c in text.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
    }
    out.push('\n');
}

fn bool_text(b: bool) -> String {
    if b { "t" } else { "f" }.into()
}

#[cfg(test)]
mod tests {
    use super::push_line;

    #[test]
    fn escapes_copy_text() {
        let mut out = String::new();
        push_line(
            &mut out,
            &[Some("a\tb\\c\nd\ré".into()), None, Some(String::new())],
        );
        assert_eq!(out, "a\\tb\\\\c\\nd\\ré\t\\N\t\n");
    }
}
