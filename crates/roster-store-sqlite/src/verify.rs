//! The consistency check: the shared rules of [`roster_store_sql::verify`] in SQLite's
//! dialect, plus SQLite's own foreign-key and integrity checks.

use crate::error::db_err;
use roster_core::store::{RowCounts, StoreResult};
use roster_core::Id;
use roster_store_sql::row::SqlRow;
use roster_store_sql::verify::{self, Dialect, ROW_COUNTS};
use sqlx::SqliteConnection;

/// Ids are blobs: a literal is `x'…'`, and a path's text is built from the hex.
const DIALECT: Dialect = Dialect {
    id_literal: |id: Id| format!("x'{}'", id.simple()),
    id_text: hyphenated,
};

/// SQL for the lower-case hyphenated text of a blob id column, as org paths hold it.
fn hyphenated(column: &str) -> String {
    let part = |from: u32, len: u32| format!("substr(hex({column}), {from}, {len})");
    format!(
        "lower({} || '-' || {} || '-' || {} || '-' || {} || '-' || {})",
        part(1, 8),
        part(9, 4),
        part(13, 4),
        part(17, 4),
        part(21, 12)
    )
}

/// Everything wrong with the stored data, one sentence each.
pub(crate) async fn problems(conn: &mut SqliteConnection) -> StoreResult<Vec<String>> {
    let mut problems = Vec::new();
    for check in verify::checks(&DIALECT) {
        let rows = sqlx::query(&check.query())
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        check.report(&rows, &mut problems)?;
    }
    let broken_keys = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    for row in &broken_keys {
        problems.push(format!(
            "row {} of {} refers to a missing row of {}",
            row.opt_int("rowid")?
                .map_or_else(|| "?".to_owned(), |r| r.to_string()),
            row.text("table")?,
            row.text("parent")?
        ));
    }
    let integrity = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
    for row in &integrity {
        let line = row.text(0)?;
        if line != "ok" {
            problems.push(format!("the database file is damaged: {line}"));
        }
    }
    Ok(problems)
}

/// How many rows each table holds.
pub(crate) async fn row_counts(conn: &mut SqliteConnection) -> StoreResult<RowCounts> {
    let row = sqlx::query(ROW_COUNTS)
        .fetch_one(conn)
        .await
        .map_err(db_err)?;
    verify::row_counts(&row)
}
