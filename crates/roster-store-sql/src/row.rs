//! Reading one value from a result row of either database: the only place that knows how
//! each stores an id (SQLite as a 16-byte blob, PostgreSQL as `uuid`) and a flag.

use roster_core::store::{StoreError, StoreResult};
use roster_core::Id;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{ColumnIndex, Row};
use std::fmt::Display;

/// A column as the readers take it: by name, or by position in the select list (which spares
/// a name lookup per value where many rows are read).
pub trait Column: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Display + Copy {}
impl<C: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Display + Copy> Column for C {}

/// A result row of one of the stores, read value by value.
pub trait SqlRow {
    /// An id.
    fn id<C: Column>(&self, column: C) -> StoreResult<Id>;
    /// An id or NULL.
    fn opt_id<C: Column>(&self, column: C) -> StoreResult<Option<Id>>;
    /// Text, borrowed from the row.
    fn text<C: Column>(&self, column: C) -> StoreResult<&str>;
    /// Text or NULL.
    fn opt_text<C: Column>(&self, column: C) -> StoreResult<Option<&str>>;
    /// A 64-bit integer.
    fn int<C: Column>(&self, column: C) -> StoreResult<i64>;
    /// A 64-bit integer or NULL.
    fn opt_int<C: Column>(&self, column: C) -> StoreResult<Option<i64>>;
    /// A flag.
    fn flag<C: Column>(&self, column: C) -> StoreResult<bool>;
}

/// A value that does not fit where it was read: a damaged row, or a query that does not
/// select what its reader expects.
fn unreadable(e: sqlx::Error) -> StoreError {
    StoreError::Other(e.to_string())
}

fn bad_id(column: impl Display, e: uuid::Error) -> StoreError {
    StoreError::Other(format!("bad id in column {column}: {e}"))
}

/// The readers of text and integers, which both databases decode alike.
macro_rules! values_both_databases_store_alike {
    () => {
        fn text<C: Column>(&self, column: C) -> StoreResult<&str> {
            self.try_get(column).map_err(unreadable)
        }

        fn opt_text<C: Column>(&self, column: C) -> StoreResult<Option<&str>> {
            self.try_get(column).map_err(unreadable)
        }

        fn int<C: Column>(&self, column: C) -> StoreResult<i64> {
            self.try_get(column).map_err(unreadable)
        }

        fn opt_int<C: Column>(&self, column: C) -> StoreResult<Option<i64>> {
            self.try_get(column).map_err(unreadable)
        }
    };
}

impl SqlRow for SqliteRow {
    fn id<C: Column>(&self, column: C) -> StoreResult<Id> {
        let bytes: &[u8] = self.try_get(column).map_err(unreadable)?;
        Id::from_slice(bytes).map_err(|e| bad_id(column, e))
    }

    fn opt_id<C: Column>(&self, column: C) -> StoreResult<Option<Id>> {
        let bytes: Option<&[u8]> = self.try_get(column).map_err(unreadable)?;
        bytes
            .map(|b| Id::from_slice(b).map_err(|e| bad_id(column, e)))
            .transpose()
    }

    values_both_databases_store_alike!();

    /// SQLite has no boolean type: a flag is an integer, and any but 0 is set.
    fn flag<C: Column>(&self, column: C) -> StoreResult<bool> {
        Ok(self.int(column)? != 0)
    }
}

impl SqlRow for PgRow {
    fn id<C: Column>(&self, column: C) -> StoreResult<Id> {
        self.try_get(column).map_err(unreadable)
    }

    fn opt_id<C: Column>(&self, column: C) -> StoreResult<Option<Id>> {
        self.try_get(column).map_err(unreadable)
    }

    values_both_databases_store_alike!();

    fn flag<C: Column>(&self, column: C) -> StoreResult<bool> {
        self.try_get(column).map_err(unreadable)
    }
}
