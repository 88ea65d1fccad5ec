//! The JSON shapes of the access model: resource types, resources, resource groups, projects,
//! roles, grants and decisions.

use super::{MemberDto, UserDto};
use chrono::{DateTime, Utc};
use roster_core::access::{Explanation, Reaching, Step};
use roster_core::model::{Effect, Grant, Project, Resource, ResourceGroup, ResourceType, Role};
use roster_core::service::{Explained, Joined, ProjectMember};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A resource type and its actions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceTypeDto {
    /// The type's name (`device`).
    pub name: String,
    /// Its actions (`read`, `write`).
    pub actions: Vec<String>,
    /// Whether roster defines it (one of its own object types).
    pub builtin: bool,
}

impl From<ResourceType> for ResourceTypeDto {
    fn from(t: ResourceType) -> Self {
        ResourceTypeDto {
            name: t.name,
            actions: t.actions,
            builtin: t.builtin,
        }
    }
}

/// Body of `POST /resource-types` (registers, or replaces the actions of, a type).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceTypeBody {
    /// The type's name: lower-case letters, digits, `-` or `_`.
    pub name: String,
    /// Its actions.
    pub actions: Vec<String>,
}

/// Body of `PATCH /resource-types/{name}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResourceTypeBody {
    /// The new list of actions.
    pub actions: Vec<String>,
}

/// A resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceDto {
    /// Uuid.
    pub id: Uuid,
    /// The resource type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Name.
    pub name: String,
    /// Owning org node or project.
    pub owner: Uuid,
    /// The owner's tenant.
    pub tenant: Uuid,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Resource> for ResourceDto {
    fn from(r: Resource) -> Self {
        ResourceDto {
            id: r.id,
            rtype: r.rtype,
            name: r.name,
            owner: r.owner,
            tenant: r.tenant,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Body of `POST /resources`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResourceBody {
    /// A registered resource type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Name, unique per owner and type.
    pub name: String,
    /// Owning tenant, customer or project.
    pub owner: Uuid,
}

/// Body of `PATCH /resources/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateResourceBody {
    /// New name.
    pub name: String,
}

/// Filters of `GET /resources`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ResourceListParams {
    /// Owned by exactly this node or project.
    pub owner: Option<Uuid>,
    /// Of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub rtype: Option<String>,
    /// In this resource group.
    pub group: Option<Uuid>,
    /// Name prefix.
    pub q: Option<String>,
}

/// A resource group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceGroupDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning org node or project.
    pub owner: Uuid,
    /// The owner's tenant.
    pub tenant: Uuid,
    /// When created.
    pub created_at: DateTime<Utc>,
}

impl From<ResourceGroup> for ResourceGroupDto {
    fn from(g: ResourceGroup) -> Self {
        ResourceGroupDto {
            id: g.id,
            name: g.name,
            description: g.description,
            owner: g.owner,
            tenant: g.tenant,
            created_at: g.created_at,
        }
    }
}

/// Body of `POST /resource-groups`, `POST /projects` and `POST /roles` owners and names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResourceGroupBody {
    /// Name, unique per owner.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning tenant, customer or project.
    pub owner: Uuid,
}

/// Body of `POST /resource-groups/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceMemberBody {
    /// The resource to put in the group.
    pub resource: Uuid,
}

/// Filters of lists by owner and name: `GET /resource-groups`, `/projects`, `/roles`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OwnedListParams {
    /// Owned by exactly this node (or project).
    pub owner: Option<Uuid>,
    /// Name prefix.
    pub q: Option<String>,
}

/// A project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning tenant or customer.
    pub owner: Uuid,
    /// The owner's tenant.
    pub tenant: Uuid,
    /// Whether a user may be in at most one of its groups.
    pub exclusive: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectDto {
    fn from(p: Project) -> Self {
        ProjectDto {
            id: p.id,
            name: p.name,
            description: p.description,
            owner: p.owner,
            tenant: p.tenant,
            exclusive: p.exclusive,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Body of `POST /projects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectBody {
    /// Name, unique per owner.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning tenant or customer.
    pub owner: Uuid,
    /// A user in at most one of its groups (default true).
    pub exclusive: Option<bool>,
}

/// Body of `PATCH /projects/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProjectBody {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New exclusivity.
    pub exclusive: Option<bool>,
}

/// Body of `POST /projects/{id}/groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachGroupBody {
    /// An org-level group of the project's tenant.
    pub group: Uuid,
}

/// What attaching a group did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachedDto {
    /// Users who became project members through it.
    pub members_added: Vec<Uuid>,
}

/// Body of `POST /groups/{id}/detach`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetachGroupBody {
    /// The projects to detach the group from.
    pub projects: Vec<Uuid>,
}

/// Body of `POST /projects/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectMemberBody {
    /// The user.
    pub user: Uuid,
}

/// A project member.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectMemberDto {
    /// The user.
    pub user: UserDto,
    /// Since when.
    pub since: DateTime<Utc>,
}

impl From<ProjectMember> for ProjectMemberDto {
    fn from(m: ProjectMember) -> Self {
        ProjectMemberDto {
            user: m.user.into(),
            since: m.since,
        }
    }
}

/// A new membership, and the projects it made the user a member of.
#[derive(Debug, Serialize, ToSchema)]
pub struct JoinedDto {
    /// The membership.
    #[serde(flatten)]
    pub member: MemberDto,
    /// Projects the user became a member of through this group.
    pub projects_joined: Vec<Uuid>,
}

impl From<Joined> for JoinedDto {
    fn from(j: Joined) -> Self {
        JoinedDto {
            member: j.member.into(),
            projects_joined: j.projects_joined,
        }
    }
}

/// `members` of `DELETE /groups/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeleteGroupParams {
    /// For a project-level group: `keep` its members in the project (default) or `remove`
    /// them from it.
    pub members: Option<String>,
}

/// A role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning tenant or customer (the system root for built-in roles).
    pub owner: Uuid,
    /// Permissions like `device:read`, `*:read`, `service:*`.
    pub permissions: Vec<String>,
    /// Whether roster defines it.
    pub builtin: bool,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        RoleDto {
            id: r.id,
            name: r.name,
            description: r.description,
            owner: r.owner,
            permissions: r.permissions,
            builtin: r.builtin,
        }
    }
}

/// Body of `POST /roles`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleBody {
    /// Name, unique per owner.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning tenant or customer.
    pub owner: Uuid,
    /// Permissions like `device:read`, `*:read`, `service:*`.
    pub permissions: Vec<String>,
}

/// Body of `PATCH /roles/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoleBody {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New permissions.
    pub permissions: Option<Vec<String>>,
}

/// A grant.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantDto {
    /// Uuid.
    pub id: Uuid,
    /// The user or group given it.
    pub subject: Uuid,
    /// `user` or `group`.
    pub subject_kind: String,
    /// The role granted, if any.
    pub role: Option<Uuid>,
    /// Inline permissions, when no role is granted.
    pub permissions: Vec<String>,
    /// Where it holds.
    pub scope: Uuid,
    /// `node`, `project`, `resource_group` or `resource`.
    pub scope_kind: String,
    /// `allow` or `deny`.
    #[schema(value_type = String, example = "allow")]
    pub effect: Effect,
    /// Not effective before.
    pub valid_from: Option<DateTime<Utc>>,
    /// Not effective from.
    pub valid_until: Option<DateTime<Utc>>,
    /// When created.
    pub created_at: DateTime<Utc>,
}

impl From<Grant> for GrantDto {
    fn from(g: Grant) -> Self {
        GrantDto {
            id: g.id,
            subject: g.subject,
            subject_kind: g.subject_kind.as_str().into(),
            role: g.role,
            permissions: g.permissions,
            scope: g.scope,
            scope_kind: g.scope_kind.as_str().into(),
            effect: g.effect,
            valid_from: g.valid_from,
            valid_until: g.valid_until,
            created_at: g.created_at,
        }
    }
}

/// Body of `POST /grants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantBody {
    /// The user or group given it.
    pub subject: Uuid,
    /// The role granted (or give `permissions`).
    pub role: Option<Uuid>,
    /// Inline permissions (or give `role`).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// A tenant, customer, project, resource group or resource.
    pub scope: Uuid,
    /// `allow` (default) or `deny`.
    #[schema(value_type = Option<String>, example = "allow")]
    pub effect: Option<Effect>,
    /// Not effective before.
    pub valid_from: Option<DateTime<Utc>>,
    /// Not effective from.
    pub valid_until: Option<DateTime<Utc>>,
}

/// Body of `PATCH /grants/{id}`; a `null` window bound removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGrantBody {
    /// New effect.
    #[schema(value_type = Option<String>, example = "deny")]
    pub effect: Option<Effect>,
    /// New start, or `null` for none.
    #[serde(default, deserialize_with = "super::double_option")]
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// New end, or `null` for none.
    #[serde(default, deserialize_with = "super::double_option")]
    pub valid_until: Option<Option<DateTime<Utc>>>,
}

/// Filters of `GET /grants`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GrantListParams {
    /// Given to this user or group.
    pub subject: Option<Uuid>,
    /// Holding on exactly this scope.
    pub scope: Option<Uuid>,
    /// Of this role.
    pub role: Option<Uuid>,
}

/// Body of `POST /check` and `POST /explain`: may `user` do `action` on `resource`?
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The user asked about.
    pub user: Uuid,
    /// An action of the resource's type (`read`), or `type:action`.
    pub action: String,
    /// The resource (or any roster object).
    pub resource: Uuid,
}

/// The answer of `POST /check`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckDto {
    /// Whether it is allowed.
    pub allowed: bool,
}

/// Body of `POST /check/batch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBatchBody {
    /// Up to 1,000 questions.
    pub checks: Vec<CheckBody>,
}

/// The answer of `POST /check/batch`: one per question, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckBatchDto {
    /// Whether each question is allowed.
    pub results: Vec<bool>,
}

/// One step of a decision's path: user → group (since when) → grant → role → permission →
/// scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathStepDto {
    /// The group the grant reached the user through; absent when given to the user.
    pub group: Option<Uuid>,
    /// When the user's membership of that group began.
    pub member_since: Option<DateTime<Utc>>,
    /// The grant.
    pub grant: Uuid,
    /// `allow` or `deny`.
    #[schema(value_type = String, example = "allow")]
    pub effect: Effect,
    /// The role granted, if any.
    pub role: Option<Uuid>,
    /// Its name.
    pub role_name: Option<String>,
    /// The permission that matched.
    pub permission: String,
    /// The scope it holds on.
    pub scope: Uuid,
}

impl PathStepDto {
    fn new(s: &Step, ex: &Explained) -> Self {
        PathStepDto {
            group: s.via_group,
            member_since: s.via_group.and_then(|g| ex.member_since.get(&g).copied()),
            grant: s.grant,
            effect: s.effect,
            role: s.role.as_ref().map(|r| r.0),
            role_name: s.role.as_ref().map(|r| r.1.clone()),
            permission: s.permission.clone(),
            scope: s.scope,
        }
    }
}

/// The answer of `POST /explain`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplainDto {
    /// Whether it is allowed.
    pub allowed: bool,
    /// Why not: `nothing_grants`, `denied`, `inactive_user`, `unknown_user`,
    /// `unknown_resource`, `unknown_action`.
    pub reason: Option<String>,
    /// The allow grants that matched.
    pub path: Vec<PathStepDto>,
    /// The deny grants that overrode them.
    pub overridden_by: Vec<PathStepDto>,
    /// The exclusive project in which the user's own grants were ignored.
    pub ignored_in_project: Option<Uuid>,
}

impl From<Explained> for ExplainDto {
    fn from(ex: Explained) -> Self {
        let e: &Explanation = &ex.explanation;
        ExplainDto {
            allowed: e.allowed,
            reason: e.reason.map(|r| r.as_str().to_string()),
            path: e
                .allowed_by
                .iter()
                .map(|s| PathStepDto::new(s, &ex))
                .collect(),
            overridden_by: e
                .denied_by
                .iter()
                .map(|s| PathStepDto::new(s, &ex))
                .collect(),
            ignored_in_project: e.ignored_in_project,
        }
    }
}

/// A grant in force reaching a user.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectiveDto {
    /// The scope.
    pub scope: Uuid,
    /// `allow` or `deny`.
    #[schema(value_type = String, example = "allow")]
    pub effect: Effect,
    /// The permissions it gives or takes.
    pub permissions: Vec<String>,
    /// The group it came through; absent when given to the user.
    pub via_group: Option<Uuid>,
    /// The role, if any.
    pub role: Option<Uuid>,
    /// The grant.
    pub grant: Uuid,
}

impl From<Reaching> for EffectiveDto {
    fn from(r: Reaching) -> Self {
        EffectiveDto {
            scope: r.scope,
            effect: r.effect,
            permissions: r.permissions.iter().map(|p| p.to_string()).collect(),
            via_group: r.via_group,
            role: r.role,
            grant: r.grant,
        }
    }
}

/// The answer of `GET /users/{id}/effective-permissions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectiveListDto {
    /// Every grant in force reaching the user, per scope.
    pub items: Vec<EffectiveDto>,
}
