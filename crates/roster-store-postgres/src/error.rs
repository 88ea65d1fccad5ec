//! Maps sqlx's errors onto the contract's [`StoreError`].

use roster_core::store::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::MigrateError;

/// SQLSTATEs that mean "cannot get at the data right now" rather than a bug: the server is
/// shutting down or starting up, or has too many connections.
const UNAVAILABLE_CODES: [&str; 4] = ["57P01", "57P02", "57P03", "53300"];

/// SQLSTATE classes that mean the connection itself failed.
const UNAVAILABLE_CLASSES: [&str; 1] = ["08"];

/// SQLSTATEs of transactions the server aborted to resolve a conflict with another one:
/// serialization failure and deadlock. The service layer runs the whole transaction again.
const CONFLICT_CODES: [&str; 2] = ["40001", "40P01"];

/// Translates a database error: a sign-in token for a user who is not active is
/// `UserNotActive`, broken uniqueness rules name what was duplicated, transaction conflicts
/// are `Retry`, connection trouble is `Unavailable`, everything else is `Other`.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if is_inactive_user(d.as_ref()) => StoreError::UserNotActive,
        sqlx::Error::Database(d) if d.kind() == ErrorKind::UniqueViolation => {
            StoreError::Unique(duplicated(d.constraint()))
        }
        sqlx::Error::Database(d)
            if d.code()
                .is_some_and(|c| CONFLICT_CODES.contains(&c.as_ref())) =>
        {
            StoreError::Retry(e.to_string())
        }
        sqlx::Error::Database(d) if is_unavailable(d.as_ref()) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

/// Whether the error is a sign-in token's insert finding its user gone or not active: the
/// only insert that can give `tokens.user_id` a NULL (see `tokens::insert`).
fn is_inactive_user(d: &dyn DatabaseError) -> bool {
    d.kind() == ErrorKind::NotNullViolation
        && d.table() == Some("tokens")
        && d.message().contains("\"user_id\"")
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
    d.code().is_some_and(|code| {
        UNAVAILABLE_CODES.contains(&code.as_ref())
            || UNAVAILABLE_CLASSES
                .iter()
                .any(|class| code.starts_with(class))
    })
}

/// What the violated constraint (named in the migrations) makes unique.
fn duplicated(constraint: Option<&str>) -> &'static str {
    match constraint.unwrap_or_default() {
        "users_login_lc" => "login",
        "org_nodes_parent_name" | "user_groups_owner_name" => "name",
        "resources_owner_type_name" => "resource name",
        "resource_groups_owner_name" => "resource group name",
        "projects_owner_name" => "project name",
        "roles_owner_name" => "role name",
        "tokens_hash" => "token hash",
        "memberships_pkey" => "membership",
        "org_nodes_single_root" => "system root",
        c if c.ends_with("_pkey") => "id",
        _ => "value",
    }
}

#[cfg(test)]
mod tests {
    use super::duplicated;

    #[test]
    fn names_the_duplicated_thing() {
        let m = |s: &str| duplicated(Some(s));
        assert_eq!(m("users_login_lc"), "login");
        assert_eq!(m("org_nodes_parent_name"), "name");
        assert_eq!(m("user_groups_owner_name"), "name");
        assert_eq!(m("resources_owner_type_name"), "resource name");
        assert_eq!(m("resource_groups_owner_name"), "resource group name");
        assert_eq!(m("projects_owner_name"), "project name");
        assert_eq!(m("roles_owner_name"), "role name");
        assert_eq!(m("tokens_hash"), "token hash");
        assert_eq!(m("memberships_pkey"), "membership");
        assert_eq!(m("org_nodes_single_root"), "system root");
        assert_eq!(m("users_pkey"), "id");
        assert_eq!(m("something_else"), "value");
        assert_eq!(duplicated(None), "value");
    }
}
