//! The org tree: the system root, tenants and (nested) customers.

use super::string_enum;
use crate::ids::{Id, Timestamp};

string_enum!(
    /// What an org node is.
    OrgKind {
        /// The install's root; owns the system administrators.
        System = "system",
        /// A tenant: nothing crosses its boundary.
        Tenant = "tenant",
        /// A customer of a tenant, or of another customer.
        Customer = "customer",
    }
);

/// A node of the org tree.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgNode {
    /// Id.
    pub id: Id,
    /// System, tenant or customer.
    pub kind: OrgKind,
    /// Display name, unique among siblings (case-insensitive).
    pub name: String,
    /// The parent node; `None` for the system root, the system root for tenants.
    pub parent: Option<Id>,
    /// The tenant the node lies in (its own id for a tenant, the root's id for the root).
    pub tenant: Id,
    /// Ids from the root down to and including this node.
    pub path: Vec<Id>,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

impl OrgNode {
    /// Whether this node is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: Id) -> bool {
        self.path.contains(&ancestor)
    }
}

/// Filters for listing org nodes.
#[derive(Debug, Clone, Default)]
pub struct OrgQuery {
    /// Only nodes of this kind.
    pub kind: Option<OrgKind>,
    /// Only direct children of this node.
    pub parent: Option<Id>,
    /// Only nodes within one of these subtrees (visibility).
    pub within: Option<Vec<Id>>,
    /// Name prefix, lower-cased.
    pub name_prefix: Option<String>,
}
