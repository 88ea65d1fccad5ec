//! Maps sqlx's errors onto the contract's [`StoreError`].

use roster_core::store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// SQLite's primary result codes that mean "cannot get at the data right now" rather than a bug:
/// BUSY, LOCKED, IOERR, FULL, CANTOPEN.
const UNAVAILABLE_CODES: [i64; 5] = [5, 6, 10, 13, 14];

/// Translates a database error: broken uniqueness rules name what was duplicated, connection
/// trouble is `Unavailable`, everything else is `Other`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Unique(duplicated(d.message()))
        }
        sqlx::Error::Database(d) if is_unavailable(d.as_ref()) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

/// Translates a migration failure.
pub(crate) fn migrate_err(e: MigrateError) -> StoreError {
    match e {
        MigrateError::Execute(e) => db_err(e),
        other => StoreError::Other(format!("migration failed: {other}")),
    }
}

/// A failure that is not about the data.
pub(crate) fn other(message: impl Into<String>) -> StoreError {
    StoreError::Other(message.into())
}

fn is_unavailable(d: &dyn DatabaseError) -> bool {
    d.code()
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| UNAVAILABLE_CODES.contains(&(c & 0xff)))
}

/// What a `UNIQUE constraint failed: table.column, …` message says was duplicated.
fn duplicated(message: &str) -> &'static str {
    let columns = message.rsplit(": ").next().unwrap_or(message);
    if columns.contains("login_lc") {
        "login"
    } else if columns.contains("name_lc") {
        "name"
    } else if columns.contains("tokens.hash") {
        "token hash"
    } else if columns.contains("memberships.") {
        "membership"
    } else if columns.contains("org_nodes.kind") {
        "system root"
    } else if columns.ends_with(".id") {
        "id"
    } else {
        "value"
    }
}

#[cfg(test)]
mod tests {
    use super::duplicated;

    #[test]
    fn names_the_duplicated_thing() {
        let m = |s: &str| duplicated(&format!("UNIQUE constraint failed: {s}"));
        assert_eq!(m("users.login_lc"), "login");
        assert_eq!(m("org_nodes.parent_id, org_nodes.name_lc"), "name");
        assert_eq!(m("user_groups.owner_id, user_groups.name_lc"), "name");
        assert_eq!(m("tokens.hash"), "token hash");
        assert_eq!(m("memberships.group_id, memberships.user_id"), "membership");
        assert_eq!(m("org_nodes.kind"), "system root");
        assert_eq!(m("users.id"), "id");
    }
}
