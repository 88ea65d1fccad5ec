//! Second factors: a TOTP authenticator and its single-use recovery codes.

use crate::ids::{Id, Timestamp};

/// A user's TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30-second steps).
#[derive(Debug, Clone, PartialEq)]
pub struct TotpFactor {
    /// The user.
    pub user: Id,
    /// The shared secret, base32 (it has to be readable to check codes, so it is not hashed).
    pub secret: String,
    /// Whether a first code confirmed the enrolment; until then it is not asked for at login.
    pub confirmed: bool,
    /// The last time step whose code was accepted; no code of that step or an earlier one is
    /// accepted again.
    pub last_step: Option<i64>,
    /// When enrolled.
    pub created_at: Timestamp,
}

/// What opening a session must know of a user, read in one look-up: their confirmed second
/// factors and their tenant's saved password policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInState {
    /// Whether the user has a confirmed TOTP authenticator.
    pub totp: bool,
    /// Whether the user receives email codes as a second factor.
    pub email: bool,
    /// The saved settings document that was asked for (the tenant's policy), as stored.
    pub policy: Option<String>,
}
