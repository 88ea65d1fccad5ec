//! Settings documents: install-wide (under the system root) or per tenant, stored as JSON.

use crate::ids::{Id, Timestamp};

/// One stored settings document.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The org node it belongs to: the system root for install-wide settings, or a tenant.
    pub scope: Id,
    /// Which document (`smtp`, `policy`).
    pub name: String,
    /// The document, JSON.
    pub value: String,
    /// When last written.
    pub updated_at: Timestamp,
}
