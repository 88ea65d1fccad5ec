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
