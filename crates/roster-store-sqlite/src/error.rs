//! Maps sqlx's errors onto the contract's [`StoreError`].

use roster_core::store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// SQLite's primary result codes for another connection holding the database: BUSY, LOCKED.
/// Running the transaction again may succeed.
const RETRY_CODES: [i64; 2] = [5, 6];

/// SQLite's primary result codes that mean "cannot get at the data right now" rather than a bug:
/// IOERR, FULL, CANTOPEN.
const UNAVAILABLE_CODES: [i64; 3] = [10, 13, 14];

/// Translates a database error: a sign-in token for a user who is not active is
/// `UserNotActive`, broken uniqueness rules name what was duplicated, a busy or locked
/// database is `Retry`, connection trouble is `Unavailable`, everything else is `Other`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if is_inactive_user(d.as_ref()) => StoreError::UserNotActive,
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Unique(duplicated(d.message()))
        }
        sqlx::Error::Database(d) if has_code(d.as_ref(), &RETRY_CODES) => {
            StoreError::Retry(e.to_string())
        }
        sqlx::Error::Database(d) if has_code(d.as_ref(), &UNAVAILABLE_CODES) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

/// Whether the error is a sign-in token's insert finding its user gone or not active: the
/// only insert that can give `tokens.user_id` a NULL (see `tokens::push_insert`).
fn is_inactive_user(d: &dyn DatabaseError) -> bool {
    d.kind() == ErrorKind::NotNullViolation && d.message().ends_with("tokens.user_id")
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

/// Whether the error's primary result code (the low byte of the extended code) is in `codes`.
fn has_code(d: &dyn DatabaseError, codes: &[i64]) -> bool {
    d.code()
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| codes.contains(&(c & 0xff)))
}

/// What a `UNIQUE constraint failed: table.column, …` message says was duplicated.
fn duplicated(message: &str) -> &'static str {
    let columns = message.rsplit(": ").next().unwrap_or(message);
    if columns.contains("login_lc") {
        "login"
    } else if columns.contains("resources.name_lc") {
        "resource name"
    } else if columns.contains("resource_groups.name_lc") {
        "resource group name"
    } else if columns.contains("projects.name_lc") {
        "project name"
    } else if columns.contains("roles.name_lc") {
        "role name"
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
        assert_eq!(
            m("resources.owner_id, resources.rtype, resources.name_lc"),
            "resource name"
        );
        assert_eq!(
            m("resource_groups.owner_id, resource_groups.name_lc"),
            "resource group name"
        );
        assert_eq!(m("projects.owner_id, projects.name_lc"), "project name");
        assert_eq!(m("roles.owner_id, roles.name_lc"), "role name");
        assert_eq!(m("tokens.hash"), "token hash");
        assert_eq!(m("memberships.group_id, memberships.user_id"), "membership");
        assert_eq!(m("org_nodes.kind"), "system root");
        assert_eq!(m("users.id"), "id");
    }
}
