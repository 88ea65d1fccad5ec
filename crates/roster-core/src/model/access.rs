//! The access model's objects: resource types, resources and resource groups, projects, roles
//! and grants, and the change log that keeps every node's access index current.

use super::string_enum;
use crate::ids::{Id, Timestamp};

/// A kind of resource and the actions it has (`device: read, write`). Install-wide: the
/// application registers its types once for every tenant; roster's own types are built in.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// The type's name, as permissions spell it (`device`).
    pub name: String,
    /// The actions a permission on this type may name (`read`, `write`).
    pub actions: Vec<String>,
    /// Whether roster defines it (its own objects); built-in types cannot change.
    pub builtin: bool,
    /// When registered.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// What the application protects: a typed, named object owned by an org node or a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Id.
    pub id: Id,
    /// The tenant of the owner.
    pub tenant: Id,
    /// The owning org node or project.
    pub owner: Id,
    /// The resource type's name.
    pub rtype: String,
    /// Display name, unique per owner and type (case-insensitive).
    pub name: String,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A named collection of resources ("system group", "entity group"); a scope for grants.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGroup {
    /// Id.
    pub id: Id,
    /// The tenant of the owner.
    pub tenant: Id,
    /// The owning org node or project.
    pub owner: Id,
    /// Name, unique per owner (case-insensitive).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A workspace owned by an org node, with members and groups of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Id.
    pub id: Id,
    /// The tenant of the owner.
    pub tenant: Id,
    /// The owning org node.
    pub owner: Id,
    /// Name, unique per owner (case-insensitive).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Whether a user may be in at most one of the project's groups, whose rights then
    /// replace the user's own in the project.
    pub exclusive: bool,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A named set of permissions (`device:read`, `*:read`, `service:*`).
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Id.
    pub id: Id,
    /// The tenant of the owner (the system root's id for built-in roles).
    pub tenant: Id,
    /// The owning org node; built-in roles belong to the system root.
    pub owner: Id,
    /// Name, unique per owner (case-insensitive).
    pub name: String,
    /// Free text.
    pub description: String,
    /// The permissions, in their canonical spelling.
    pub permissions: Vec<String>,
    /// Whether roster defines it; built-in roles cannot change.
    pub builtin: bool,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

string_enum!(
    /// Whether a grant gives or takes away.
    Effect {
        /// Gives the permissions.
        Allow = "allow",
        /// Takes them away, whatever allows them.
        Deny = "deny",
    }
);

string_enum!(
    /// What a grant is given to.
    SubjectKind {
        /// One user.
        User = "user",
        /// Every (currently valid) member of a group.
        Group = "group",
    }
);

string_enum!(
    /// What a grant's scope is.
    ScopeKind {
        /// An org node and its whole subtree.
        Node = "node",
        /// A project and everything it owns.
        Project = "project",
        /// Every resource in a resource group.
        ResourceGroup = "resource_group",
        /// One resource.
        Resource = "resource",
    }
);

/// A subject's role, or inline permissions, on a scope, allowed or denied, optionally bounded
/// in time.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// Id.
    pub id: Id,
    /// The tenant of the scope.
    pub tenant: Id,
    /// The user or group given the grant.
    pub subject: Id,
    /// Whether the subject is a user or a group.
    pub subject_kind: SubjectKind,
    /// The role granted; `None` for inline permissions.
    pub role: Option<Id>,
    /// Inline permissions (empty when a role is granted).
    pub permissions: Vec<String>,
    /// Where the grant holds.
    pub scope: Id,
    /// What the scope is.
    pub scope_kind: ScopeKind,
    /// Allow or deny.
    pub effect: Effect,
    /// Not effective before this time.
    pub valid_from: Option<Timestamp>,
    /// Not effective from this time on.
    pub valid_until: Option<Timestamp>,
    /// Bumped on every change; the API's ETag.
    pub version: i64,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

impl Grant {
    /// Whether the grant is in force at `at`.
    pub fn is_active_at(&self, at: Timestamp) -> bool {
        self.valid_from.is_none_or(|f| f <= at) && self.valid_until.is_none_or(|u| at < u)
    }
}

/// Filters for listing resources.
#[derive(Debug, Clone, Default)]
pub struct ResourceQuery {
    /// Owned by exactly this org node or project.
    pub owner: Option<Id>,
    /// Owned by one of these (visibility).
    pub owner_in: Option<Vec<Id>>,
    /// Of this type.
    pub rtype: Option<String>,
    /// In this resource group.
    pub group: Option<Id>,
    /// Name prefix, lower-cased.
    pub name_prefix: Option<String>,
}

/// Filters for listing resource groups, projects and roles.
#[derive(Debug, Clone, Default)]
pub struct OwnedQuery {
    /// Owned by exactly this org node (or project).
    pub owner: Option<Id>,
    /// Owned by one of these (visibility).
    pub owner_in: Option<Vec<Id>>,
    /// Name prefix, lower-cased.
    pub name_prefix: Option<String>,
}

/// Filters for listing grants.
#[derive(Debug, Clone, Default)]
pub struct GrantQuery {
    /// Given to this user or group.
    pub subject: Option<Id>,
    /// Holding on exactly this scope.
    pub scope: Option<Id>,
    /// Of this role.
    pub role: Option<Id>,
}

string_enum!(
    /// What kind of object an access change touched.
    AccessKind {
        /// An org node (created, deleted).
        Node = "node",
        /// A user (created, status, owner, memberships, deleted).
        User = "user",
        /// A group (created, deleted).
        Group = "group",
        /// A project (created, exclusivity, its groups, deleted).
        Project = "project",
        /// A resource (created, owner, resource groups, deleted).
        Resource = "resource",
        /// A resource group (created, deleted).
        ResourceGroup = "resource_group",
        /// A role (permissions, deleted).
        Role = "role",
        /// A grant (created, changed, deleted).
        Grant = "grant",
    }
);

/// One object whose access facts changed in a transaction; every node's access index reloads
/// that object's facts from the store. When the object is gone, grants given to it or held on
/// it are gone too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccessChange {
    /// What kind of object.
    pub kind: AccessKind,
    /// Its id.
    pub id: Id,
}

impl AccessChange {
    /// A change of `kind` to `id`.
    pub fn new(kind: AccessKind, id: Id) -> Self {
        AccessChange { kind, id }
    }
}

/// A user's facts as the access index needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessUser {
    /// Id.
    pub id: Id,
    /// Tenant.
    pub tenant: Id,
    /// Owning org node.
    pub owner: Id,
    /// Whether the user may be granted anything (active, neither pending nor disabled).
    pub active: bool,
}

/// Everything the access index is built from, read in one snapshot.
#[derive(Debug, Clone, Default)]
pub struct AccessSnapshot {
    /// The version of the access change log the snapshot reflects.
    pub version: i64,
    /// Every org node.
    pub nodes: Vec<crate::model::OrgNode>,
    /// Every user.
    pub users: Vec<AccessUser>,
    /// Every group.
    pub groups: Vec<crate::model::Group>,
    /// Every explicit membership.
    pub memberships: Vec<crate::model::Membership>,
    /// Every project.
    pub projects: Vec<Project>,
    /// Every attachment of an org-level group to a project, as `(project, group)`.
    pub attachments: Vec<(Id, Id)>,
    /// Every resource.
    pub resources: Vec<Resource>,
    /// Every resource group.
    pub resource_groups: Vec<ResourceGroup>,
    /// Every resource-group membership, as `(resource group, resource)`.
    pub resource_group_members: Vec<(Id, Id)>,
    /// Every custom role (built-in roles are not stored).
    pub roles: Vec<Role>,
    /// Every grant.
    pub grants: Vec<Grant>,
}
