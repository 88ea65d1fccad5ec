//! Users: people and programs that log in.

use super::string_enum;
use crate::ids::{Id, Timestamp};

string_enum!(
    /// Where the user's password lives.
    UserKind {
        /// roster holds the password.
        Internal = "internal",
        /// An LDAP directory holds it.
        External = "external",
    }
);

string_enum!(
    /// Whether the user may log in.
    UserStatus {
        /// Not yet activated: has no password.
        Pending = "pending",
        /// May log in.
        Active = "active",
        /// Switched off by an administrator.
        Disabled = "disabled",
    }
);

/// A user account. The password hash is deliberately not part of it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Id.
    pub id: Id,
    /// The tenant of the owner node.
    pub tenant: Id,
    /// The owning org node.
    pub owner: Id,
    /// Login as typed at creation; unique install-wide, case-insensitively.
    pub login: String,
    /// Email address.
    pub email: Option<String>,
    /// Whether the email was verified.
    pub email_verified: bool,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Internal or external.
    pub kind: UserKind,
    /// Pending, active or disabled.
    pub status: UserStatus,
    /// Whether the next login must change the password.
    pub must_change_password: bool,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// Filters for listing users; all given filters must match.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Owned by exactly this node.
    pub owner: Option<Id>,
    /// Owned by one of these nodes (the caller's visible subtrees, expanded).
    pub owner_in: Option<Vec<Id>>,
    /// Member of this group (explicit membership).
    pub group: Option<Id>,
    /// In this status.
    pub status: Option<UserStatus>,
    /// Prefix of the login, email, first or last name; lower-cased.
    pub prefix: Option<String>,
    /// Only this user (a caller who may see nobody else).
    pub only: Option<Id>,
}
