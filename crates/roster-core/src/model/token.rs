//! Bearer secrets: sessions, API tokens and one-time links. Only their hashes are stored.

use super::string_enum;
use crate::ids::{Id, Timestamp};

string_enum!(
    /// What a token is for; a token of one kind never works as another.
    TokenKind {
        /// A login session (cookie or bearer).
        Session = "session",
        /// A named API token for a program.
        Api = "api",
        /// A one-time activation (set-up) link.
        Activation = "activation",
        /// A short session that may only change the password (after a login that must).
        PasswordChange = "password_change",
        /// A time-limited session of an administrator acting as another user.
        Impersonation = "impersonation",
        /// A login whose password was right and which still needs its second factor.
        Mfa = "mfa",
        /// A one-time link to choose a new password ("forgot password").
        PasswordReset = "password_reset",
        /// A one-time link that proves the user reads their email address.
        EmailVerification = "email_verification",
        /// A code emailed as the second factor of one login; stored as the hash of the
        /// login's second-factor step and the code.
        EmailCode = "email_code",
        /// A login whose password was right, of a user who must set up a second factor
        /// first: it may only enrol one.
        MfaEnrolment = "mfa_enrolment",
    }
);

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// Id (what a user sees and revokes by).
    pub id: Id,
    /// The user it belongs to.
    pub user: Id,
    /// The user's tenant.
    pub tenant: Id,
    /// Purpose.
    pub kind: TokenKind,
    /// A name chosen by the user (API tokens).
    pub name: Option<String>,
    /// When issued.
    pub created_at: Timestamp,
    /// Hard end of validity.
    pub expires_at: Timestamp,
    /// Last time it authenticated a request (sessions use it for idle expiry).
    pub last_used_at: Timestamp,
    /// For a session opened by "login as user": the administrator acting as `user`.
    pub impersonator: Option<Id>,
}
