//! Groups and memberships.

use super::string_enum;
use crate::ids::{Id, Timestamp};

string_enum!(
    /// Where a group lives; fixed at creation.
    GroupLevel {
        /// Owned by an org node.
        Org = "org",
        /// Owned by a project.
        Project = "project",
    }
);

string_enum!(
    /// Whether the group is an administrator's own or one roster keeps.
    GroupKind {
        /// Created by an administrator.
        Custom = "custom",
        /// The predefined `<Tenant|Customer> Administrators` group of an org node.
        Administrators = "administrators",
        /// The predefined `<Tenant|Customer> Users` group of an org node.
        Users = "users",
        /// The implicit `All` group of a tenant: every user of the tenant.
        All = "all",
    }
);

/// A group of users.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Id.
    pub id: Id,
    /// The tenant of the owner.
    pub tenant: Id,
    /// The owning org node (or project, for project-level groups).
    pub owner: Id,
    /// Name, unique per owner (case-insensitive).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Org or project level.
    pub level: GroupLevel,
    /// Custom or predefined.
    pub kind: GroupKind,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

impl Group {
    /// Whether roster keeps this group (it cannot be renamed or deleted).
    pub fn is_predefined(&self) -> bool {
        self.kind != GroupKind::Custom
    }
}

/// A user's membership of a group, optionally bounded in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// The group.
    pub group: Id,
    /// The member.
    pub user: Id,
    /// The tenant of both.
    pub tenant: Id,
    /// Not effective before this time.
    pub valid_from: Option<Timestamp>,
    /// Not effective from this time on.
    pub valid_until: Option<Timestamp>,
    /// When added.
    pub created_at: Timestamp,
}

impl Membership {
    /// Whether the membership is in force at `at`.
    pub fn is_active_at(&self, at: Timestamp) -> bool {
        self.valid_from.is_none_or(|f| f <= at) && self.valid_until.is_none_or(|u| at < u)
    }
}

/// Filters for listing groups.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    /// Owned by exactly this node.
    pub owner: Option<Id>,
    /// Owned by one of these nodes (visibility).
    pub owner_in: Option<Vec<Id>>,
    /// Groups this user is an explicit member of.
    pub member: Option<Id>,
    /// Name prefix, lower-cased.
    pub name_prefix: Option<String>,
}
