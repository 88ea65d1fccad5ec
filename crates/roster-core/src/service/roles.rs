//! Roles: the built-in ones and administrators' own, with permissions checked against the
//! registered resource types.

use super::authorize::Visible;
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::access::builtin::{builtin_role, builtin_roles, builtin_type};
use crate::access::Permission;
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id};
use crate::model::{AccessChange, AccessKind, GrantQuery, OwnedQuery, Role};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;

/// The most permissions a role or an inline grant may list.
pub const MAX_PERMISSIONS: usize = 256;

/// What an administrator fills in to create a role.
#[derive(Debug, Clone)]
pub struct CreateRole {
    /// Name, unique per owner.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Owning tenant or customer.
    pub owner: Id,
    /// Permissions like `device:read`, `*:read`, `service:*`.
    pub permissions: Vec<String>,
}

/// A partial change to a role.
#[derive(Debug, Clone, Default)]
pub struct UpdateRole {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New permissions.
    pub permissions: Option<Vec<String>>,
}

/// Checks a list of permissions: each well formed, naming a known type (or `*`) and, for a
/// named type, one of its actions (or `*`). Returns them canonically spelled, deduplicated.
pub(super) async fn checked_permissions(
    tx: &mut dyn StoreTx,
    field: &str,
    perms: &[String],
) -> CoreResult<Vec<String>> {
    if perms.is_empty() || perms.len() > MAX_PERMISSIONS {
        return Err(CoreError::invalid(
            "invalid_permissions",
            field,
            format!("list 1 to {MAX_PERMISSIONS} permissions"),
        ));
    }
    let mut out = Vec::with_capacity(perms.len());
    for spelled in perms {
        let p = Permission::parse(spelled.trim())
            .map_err(|e| CoreError::invalid("malformed_permission", field, e.to_string()))?;
        if let Some(t) = p.rtype.as_deref() {
            let actions = match builtin_type(t) {
                Some(b) => b.actions,
                None => tx
                    .get_resource_type(t)
                    .await?
                    .map(|r| r.actions)
                    .ok_or_else(|| {
                        CoreError::invalid(
                            "unknown_type",
                            field,
                            format!("no resource type '{t}' is registered"),
                        )
                    })?,
            };
            if let Some(a) = p.action.as_deref() {
                if !actions.iter().any(|x| x == a) {
                    return Err(CoreError::invalid(
                        "unknown_action",
                        field,
                        format!(
                            "type '{t}' has no action '{a}' (it has: {})",
                            actions.join(", ")
                        ),
                    ));
                }
            }
        }
        out.push(p.to_string());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

impl Service {
    /// Creates a role owned by a node where the caller has `role:create`.
    pub async fn create_role(&self, ctx: &Ctx, input: CreateRole) -> CoreResult<Role> {
        self.retrying(|| async {
            let name = validate::name("name", &input.name)?;
            let description = validate::description(input.description.as_deref().unwrap_or(""))?;
            let mut tx = self.write().await?;
            let owner = self
                .node_where(tx.as_mut(), ctx, input.owner, "owner", "role", "create")
                .await?;
            let permissions =
                checked_permissions(tx.as_mut(), "permissions", &input.permissions).await?;
            let at = now();
            let r = Role {
                id: new_id(),
                tenant: owner.tenant,
                owner: owner.id,
                name,
                description,
                permissions,
                builtin: false,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            tx.insert_role(&r).await.map_err(unique_as(
                "name_taken",
                format!("a role named '{}' already exists here", r.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                r.tenant,
                "role.create",
                Some(r.id),
                json!({"name": r.name, "permissions": r.permissions}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Role, r.id)])
                .await?;
            Ok(r)
        })
        .await
    }

    /// One role: built in, or one the caller may read.
    pub async fn get_role(&self, ctx: &Ctx, id: Id) -> CoreResult<Role> {
        if let Some(r) = builtin_role(id) {
            return Ok(r);
        }
        let mut tx = self.read().await?;
        self.visible_role(tx.as_mut(), ctx, id).await
    }

    /// The built-in roles (on the first page) and the custom roles the caller may read.
    pub async fn list_roles(
        &self,
        ctx: &Ctx,
        owner: Option<Id>,
        q: Option<&str>,
        page: PageReq,
    ) -> CoreResult<Page<Role>> {
        let mut tx = self.read().await?;
        let prefix = validate::prefix(q)?;
        let mut query = OwnedQuery {
            owner,
            name_prefix: prefix.clone(),
            ..OwnedQuery::default()
        };
        let mut rows = match self.visible_owners(tx.as_mut(), ctx, "role").await? {
            Visible::Everything => {
                tx.list_roles(ctx.actor.scope(), &query, page.probe())
                    .await?
            }
            Visible::Owners(owners) => {
                query.owner_in = Some(owners);
                tx.list_roles(ctx.actor.scope(), &query, page.probe())
                    .await?
            }
            Visible::Nothing => Vec::new(),
        };
        let mut page_of = page.finish(std::mem::take(&mut rows), |r| r.id);
        if page.after.is_none() && owner.is_none() {
            let mut builtins: Vec<Role> = builtin_roles()
                .into_iter()
                .filter(|r| {
                    prefix
                        .as_deref()
                        .is_none_or(|p| r.name.to_lowercase().starts_with(p))
                })
                .collect();
            builtins.append(&mut page_of.items);
            page_of.items = builtins;
        }
        Ok(page_of)
    }

    /// Renames, describes or changes the permissions of a custom role (`role:update`). New
    /// permissions reach every grant of the role, so the caller must hold them on each of
    /// those grants' scopes.
    pub async fn update_role(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateRole,
        expected_version: Option<i64>,
    ) -> CoreResult<Role> {
        self.retrying(|| async {
            if builtin_role(id).is_some() {
                return Err(builtin_role_fixed());
            }
            let mut tx = self.write().await?;
            let mut r = self.visible_role(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "role", "update", r.id)?;
            check_version(expected_version, r.version)?;
            let before = r.clone();
            if let Some(n) = &change.name {
                r.name = validate::name("name", n)?;
            }
            if let Some(d) = &change.description {
                r.description = validate::description(d)?;
            }
            if let Some(p) = &change.permissions {
                r.permissions = checked_permissions(tx.as_mut(), "permissions", p).await?;
                let query = GrantQuery {
                    role: Some(id),
                    ..GrantQuery::default()
                };
                let grants = tx
                    .list_grants(TenantScope::All, &query, PageReq { after: None, limit: 10_000 })
                    .await?;
                for g in grants.iter().filter(|g| g.effect == crate::model::Effect::Allow) {
                    for spelled in &r.permissions {
                        if let Ok(p) = Permission::parse(spelled) {
                            if !self.holds(ctx, &p, g.scope) {
                                return Err(CoreError::forbidden(format!(
                                    "the role is granted on {} where you do not hold {p}",
                                    g.scope
                                )));
                            }
                        }
                    }
                }
            }
            if r == before {
                return Ok(r);
            }
            r.version += 1;
            r.updated_at = now();
            tx.update_role(&r).await.map_err(unique_as(
                "name_taken",
                format!("a role named '{}' already exists here", r.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                r.tenant,
                "role.update",
                Some(r.id),
                json!({"name": r.name, "permissions": {"from": before.permissions, "to": r.permissions}}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Role, r.id)])
                .await?;
            Ok(r)
        })
        .await
    }

    /// Deletes a custom role no grant uses (`role:delete`).
    pub async fn delete_role(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| async {
            if builtin_role(id).is_some() {
                return Err(builtin_role_fixed());
            }
            let mut tx = self.write().await?;
            let r = self.visible_role(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "role", "delete", r.id)?;
            check_version(expected_version, r.version)?;
            if tx.role_in_use(id).await? {
                return Err(CoreError::conflict(
                    "role_in_use",
                    "grants use this role; delete them first",
                ));
            }
            tx.delete_role(id).await?;
            audit(
                tx.as_mut(),
                ctx,
                r.tenant,
                "role.delete",
                Some(id),
                json!({"name": r.name}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Role, id)])
                .await
        })
        .await
    }

    /// A custom role the caller may read.
    pub(super) async fn visible_role(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<Role> {
        tx.get_role(ctx.actor.scope(), id)
            .await?
            .filter(|r| self.may(ctx, "role", "read", r.id))
            .ok_or_else(|| CoreError::not_found("role"))
    }
}

fn builtin_role_fixed() -> CoreError {
    CoreError::conflict("builtin_role", "a built-in role cannot change")
}
