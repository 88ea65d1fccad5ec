//! The audit log.

use crate::ids::{Id, Timestamp};

/// One audited change or login.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Id (time-ordered).
    pub id: Id,
    /// When it happened.
    pub time: Timestamp,
    /// The tenant it happened in.
    pub tenant: Id,
    /// Who did it (`None` for roster itself).
    pub actor: Option<Id>,
    /// Who was impersonating the actor, if anyone.
    pub impersonator: Option<Id>,
    /// What was done, like `user.create`.
    pub action: String,
    /// The object it was done to.
    pub target: Option<Id>,
    /// What changed; never a secret.
    pub summary: serde_json::Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The client's address.
    pub address: Option<String>,
}

/// Filters for reading the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Done by this user.
    pub actor: Option<Id>,
    /// Done to this object.
    pub target: Option<Id>,
    /// This action (exact) or, ending in `.`, this family (`user.`).
    pub action: Option<String>,
    /// At or after this time.
    pub since: Option<Timestamp>,
    /// Before this time.
    pub until: Option<Timestamp>,
}
