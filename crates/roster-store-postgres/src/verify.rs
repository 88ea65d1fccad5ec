//! The consistency check: the shared rules of [`roster_store_sql::verify`] in PostgreSQL's
//! dialect. The foreign-key checks among them are kept although PostgreSQL enforces the keys:
//! data loaded with triggers off (as bulk copies between databases do, with
//! `session_replication_role = replica`) skips that enforcement.

use crate::error::db_err;
use roster_core::store::{RowCounts, StoreResult};
use roster_core::Id;
use roster_store_sql::verify::{self, Dialect, ROW_COUNTS};
use sqlx::PgConnection;

/// Ids are `uuid`s, whose text is lower-case and hyphenated, as org paths hold it.
const DIALECT: Dialect = Dialect {
    id_literal: |id: Id| format!("'{id}'::uuid"),
    id_text: |column: &str| format!("{column}::text"),
};

/// Everything wrong with the stored data, one sentence each.
pub(crate) async fn problems(conn: &mut PgConnection) -> StoreResult<Vec<String>> {
    let mut problems = Vec::new();
    for check in verify::checks(&DIALECT) {
        let rows = sqlx::query(&check.query())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        check.report(&rows, &mut problems)?;
    }
    Ok(problems)
}

/// How many rows each table holds.
pub(crate) async fn row_counts(conn: &mut PgConnection) -> StoreResult<RowCounts> {
    let row = sqlx::query(ROW_COUNTS)
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    verify::row_counts(&row)
}
