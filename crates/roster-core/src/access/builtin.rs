//! What roster defines itself: the resource types of its own objects and the built-in roles.

use crate::ids::{Id, Timestamp};
use crate::model::{ResourceType, Role};
use crate::SYSTEM_NODE_ID;
use uuid::Uuid;

/// roster's own object types and their actions: administering roster is governed by the same
/// model as the application's resources.
pub const BUILTIN_TYPES: &[(&str, &[&str])] = &[
    ("tenant", &["create", "read", "update", "delete"]),
    ("customer", &["create", "read", "update", "delete"]),
    (
        "user",
        &["create", "read", "update", "delete", "impersonate"],
    ),
    ("group", &["create", "read", "update", "delete"]),
    ("project", &["create", "read", "update", "delete"]),
    ("role", &["create", "read", "update", "delete"]),
    ("grant", &["create", "read", "update", "delete"]),
    ("resource", &["create", "read", "update", "delete"]),
    ("resource-group", &["create", "read", "update", "delete"]),
    ("resource-type", &["create", "read", "update", "delete"]),
    ("audit", &["read"]),
    ("settings", &["read", "update"]),
];

/// The built-in `Administrator` role (`*:*`).
pub const ADMINISTRATOR_ROLE: Id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0101);
/// The built-in `Read only` role (`*:read`).
pub const READ_ONLY_ROLE: Id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0102);
/// The built-in `Viewer` role (`read`), meant for resources and resource groups.
pub const VIEWER_ROLE: Id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0103);
/// The built-in `Editor` role (`read`, `write`), meant for resources and resource groups.
pub const EDITOR_ROLE: Id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0104);

const ROLES: &[(Id, &str, &str, &[&str])] = &[
    (
        ADMINISTRATOR_ROLE,
        "Administrator",
        "Every action on every type",
        &["*:*"],
    ),
    (READ_ONLY_ROLE, "Read only", "Read everything", &["*:read"]),
    (VIEWER_ROLE, "Viewer", "Read", &["*:read"]),
    (
        EDITOR_ROLE,
        "Editor",
        "Read and write",
        &["*:read", "*:write"],
    ),
];

/// The built-in roles, as role objects owned by the system root.
pub fn builtin_roles() -> Vec<Role> {
    let epoch = Timestamp::UNIX_EPOCH;
    ROLES
        .iter()
        .map(|(id, name, description, perms)| Role {
            id: *id,
            tenant: SYSTEM_NODE_ID,
            owner: SYSTEM_NODE_ID,
            name: (*name).to_string(),
            description: (*description).to_string(),
            permissions: perms.iter().map(|p| (*p).to_string()).collect(),
            builtin: true,
            version: 1,
            created_at: epoch,
            updated_at: epoch,
        })
        .collect()
}

/// The built-in role with this id.
pub fn builtin_role(id: Id) -> Option<Role> {
    builtin_roles().into_iter().find(|r| r.id == id)
}

/// The built-in resource types, as type objects.
pub fn builtin_types() -> Vec<ResourceType> {
    BUILTIN_TYPES
        .iter()
        .map(|(name, actions)| ResourceType {
            name: (*name).to_string(),
            actions: actions.iter().map(|a| (*a).to_string()).collect(),
            builtin: true,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        })
        .collect()
}

/// The built-in type with this name.
pub fn builtin_type(name: &str) -> Option<ResourceType> {
    builtin_types().into_iter().find(|t| t.name == name)
}
