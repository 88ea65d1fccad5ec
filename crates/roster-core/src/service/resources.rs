//! What the application protects: resource types (install-wide), resources and resource
//! groups with their members.

use super::authorize::Visible;
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::access::builtin::{builtin_type, builtin_types};
use crate::access::is_name;
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, SYSTEM_NODE_ID};
use crate::model::{
    AccessChange, AccessKind, OwnedQuery, Resource, ResourceGroup, ResourceQuery, ResourceType,
};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;

/// The most actions a type may declare.
const MAX_ACTIONS: usize = 64;

/// What an application fills in to create a resource.
#[derive(Debug, Clone)]
pub struct CreateResource {
    /// The type's name.
    pub rtype: String,
    /// Name, unique per owner and type.
    pub name: String,
    /// Owning org node or project.
    pub owner: Id,
}

/// What an administrator fills in to create a resource group.
#[derive(Debug, Clone)]
pub struct CreateResourceGroup {
    /// Name, unique per owner.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Owning org node or project.
    pub owner: Id,
}

/// Filters for listing resources.
#[derive(Debug, Clone, Default)]
pub struct ResourceFilter {
    /// Owned by exactly this node or project.
    pub owner: Option<Id>,
    /// Of this type.
    pub rtype: Option<String>,
    /// In this resource group.
    pub group: Option<Id>,
    /// Name prefix.
    pub q: Option<String>,
}

impl Service {
    /// Registers a resource type with its actions, or replaces the actions of one (system
    /// administrators: `resource-type:create` on the system root).
    pub async fn put_resource_type(
        &self,
        ctx: &Ctx,
        name: &str,
        actions: &[String],
    ) -> CoreResult<ResourceType> {
        self.retrying(|| self.put_resource_type_once(ctx, name, actions))
            .await
    }

    async fn put_resource_type_once(
        &self,
        ctx: &Ctx,
        name: &str,
        actions: &[String],
    ) -> CoreResult<ResourceType> {
        self.require(ctx, "resource-type", "create", SYSTEM_NODE_ID)?;
        if !is_name(name) {
            return Err(CoreError::invalid(
                "invalid_name",
                "name",
                "a type name is 1 to 64 lower-case letters, digits, '-' or '_'",
            ));
        }
        if builtin_type(name).is_some() {
            return Err(CoreError::conflict(
                "builtin_type",
                format!("'{name}' is one of roster's own types and cannot change"),
            ));
        }
        let mut acts: Vec<String> = actions.iter().map(|a| a.trim().to_string()).collect();
        acts.sort();
        acts.dedup();
        if acts.is_empty() || acts.len() > MAX_ACTIONS || !acts.iter().all(|a| is_name(a)) {
            return Err(CoreError::invalid(
                "invalid_actions",
                "actions",
                format!("a type declares 1 to {MAX_ACTIONS} actions, each lower-case letters, digits, '-' or '_'"),
            ));
        }
        let mut tx = self.write().await?;
        let at = now();
        let existing = tx.get_resource_type(name).await?;
        let t = ResourceType {
            name: name.to_string(),
            actions: acts,
            builtin: false,
            created_at: existing.as_ref().map_or(at, |e| e.created_at),
            updated_at: at,
        };
        tx.upsert_resource_type(&t).await?;
        audit(
            tx.as_mut(),
            ctx,
            SYSTEM_NODE_ID,
            if existing.is_some() {
                "resource_type.update"
            } else {
                "resource_type.create"
            },
            None,
            json!({"name": t.name, "actions": t.actions}),
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Every resource type: roster's own, then the registered ones.
    pub async fn list_resource_types(&self, _ctx: &Ctx) -> CoreResult<Vec<ResourceType>> {
        let mut tx = self.read().await?;
        let mut all = builtin_types();
        all.extend(tx.list_resource_types().await?);
        Ok(all)
    }

    /// One resource type, built in or registered.
    pub async fn get_resource_type(&self, _ctx: &Ctx, name: &str) -> CoreResult<ResourceType> {
        if let Some(t) = builtin_type(name) {
            return Ok(t);
        }
        let mut tx = self.read().await?;
        tx.get_resource_type(name)
            .await?
            .ok_or_else(|| CoreError::not_found("resource type"))
    }

    /// Removes a registered type no resource uses.
    pub async fn delete_resource_type(&self, ctx: &Ctx, name: &str) -> CoreResult<()> {
        self.retrying(|| async {
            self.require(ctx, "resource-type", "delete", SYSTEM_NODE_ID)?;
            if builtin_type(name).is_some() {
                return Err(CoreError::conflict(
                    "builtin_type",
                    format!("'{name}' is one of roster's own types and cannot change"),
                ));
            }
            let mut tx = self.write().await?;
            if tx.resource_type_in_use(name).await? {
                return Err(CoreError::conflict(
                    "type_in_use",
                    format!("resources of type '{name}' exist; delete them first"),
                ));
            }
            if !tx.delete_resource_type(name).await? {
                return Err(CoreError::not_found("resource type"));
            }
            audit(
                tx.as_mut(),
                ctx,
                SYSTEM_NODE_ID,
                "resource_type.delete",
                None,
                json!({"name": name}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Creates a resource of a registered type, owned by a node or project where the caller
    /// has `resource:create`.
    pub async fn create_resource(&self, ctx: &Ctx, input: CreateResource) -> CoreResult<Resource> {
        self.retrying(|| self.create_resource_once(ctx, &input))
            .await
    }

    async fn create_resource_once(
        &self,
        ctx: &Ctx,
        input: &CreateResource,
    ) -> CoreResult<Resource> {
        let name = validate::name("name", &input.name)?;
        let mut tx = self.write().await?;
        if tx.get_resource_type(&input.rtype).await?.is_none() {
            return Err(CoreError::invalid(
                "unknown_type",
                "type",
                format!("no resource type '{}' is registered", input.rtype),
            ));
        }
        let (tenant, _) = self
            .owner_where(tx.as_mut(), ctx, input.owner, "owner", "resource", "create")
            .await?;
        let at = now();
        let r = Resource {
            id: new_id(),
            tenant,
            owner: input.owner,
            rtype: input.rtype.clone(),
            name,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        tx.insert_resource(&r).await.map_err(unique_as(
            "name_taken",
            format!("a {} named '{}' already exists here", r.rtype, r.name),
        ))?;
        audit(
            tx.as_mut(),
            ctx,
            tenant,
            "resource.create",
            Some(r.id),
            json!({"type": r.rtype, "name": r.name, "owner": r.owner}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::Resource, r.id)])
            .await?;
        Ok(r)
    }

    /// One resource the caller may read (`resource:read`).
    pub async fn get_resource(&self, ctx: &Ctx, id: Id) -> CoreResult<Resource> {
        let mut tx = self.read().await?;
        self.visible_resource(tx.as_mut(), ctx, id).await
    }

    /// Resources the caller may read, filtered, a page at a time.
    pub async fn list_resources(
        &self,
        ctx: &Ctx,
        filter: &ResourceFilter,
        page: PageReq,
    ) -> CoreResult<Page<Resource>> {
        let mut tx = self.read().await?;
        let mut query = ResourceQuery {
            owner: filter.owner,
            rtype: filter.rtype.clone(),
            group: filter.group,
            name_prefix: validate::prefix(filter.q.as_deref())?,
            ..ResourceQuery::default()
        };
        match self
            .visible_owners_or_projects(tx.as_mut(), ctx, "resource")
            .await?
        {
            Visible::Everything => {}
            Visible::Owners(owners) => query.owner_in = Some(owners),
            Visible::Nothing => return Ok(page.finish(Vec::new(), |r: &Resource| r.id)),
        }
        let rows = tx
            .list_resources(ctx.actor.scope(), &query, page.probe())
            .await?;
        Ok(page.finish(rows, |r| r.id))
    }

    /// Renames a resource (`resource:update`).
    pub async fn rename_resource(
        &self,
        ctx: &Ctx,
        id: Id,
        name: &str,
        expected_version: Option<i64>,
    ) -> CoreResult<Resource> {
        self.retrying(|| async {
            let name = validate::name("name", name)?;
            let mut tx = self.write().await?;
            let mut r = self.visible_resource(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "resource", "update", r.id)?;
            check_version(expected_version, r.version)?;
            if r.name == name {
                return Ok(r);
            }
            let before = std::mem::replace(&mut r.name, name);
            r.version += 1;
            r.updated_at = now();
            tx.update_resource(&r).await.map_err(unique_as(
                "name_taken",
                format!("a {} named '{}' already exists here", r.rtype, r.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                r.tenant,
                "resource.update",
                Some(r.id),
                json!({"name": {"from": before, "to": r.name}}),
            )
            .await?;
            tx.commit().await?;
            Ok(r)
        })
        .await
    }

    /// Deletes a resource with the grants held on it (`resource:delete`).
    pub async fn delete_resource(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let r = self.visible_resource(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "resource", "delete", r.id)?;
            check_version(expected_version, r.version)?;
            tx.delete_resource(id).await?;
            audit(
                tx.as_mut(),
                ctx,
                r.tenant,
                "resource.delete",
                Some(id),
                json!({"type": r.rtype, "name": r.name}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Resource, id)])
                .await
        })
        .await
    }

    /// Creates a resource group owned by a node or project where the caller has
    /// `resource-group:create`.
    pub async fn create_resource_group(
        &self,
        ctx: &Ctx,
        input: CreateResourceGroup,
    ) -> CoreResult<ResourceGroup> {
        self.retrying(|| async {
            let name = validate::name("name", &input.name)?;
            let description = validate::description(input.description.as_deref().unwrap_or(""))?;
            let mut tx = self.write().await?;
            let (tenant, _) = self
                .owner_where(
                    tx.as_mut(),
                    ctx,
                    input.owner,
                    "owner",
                    "resource-group",
                    "create",
                )
                .await?;
            let at = now();
            let g = ResourceGroup {
                id: new_id(),
                tenant,
                owner: input.owner,
                name,
                description,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            tx.insert_resource_group(&g).await.map_err(unique_as(
                "name_taken",
                format!("a resource group named '{}' already exists here", g.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                tenant,
                "resource_group.create",
                Some(g.id),
                json!({"name": g.name, "owner": g.owner}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::ResourceGroup, g.id)])
                .await?;
            Ok(g)
        })
        .await
    }

    /// One resource group the caller may read.
    pub async fn get_resource_group(&self, ctx: &Ctx, id: Id) -> CoreResult<ResourceGroup> {
        let mut tx = self.read().await?;
        self.visible_resource_group(tx.as_mut(), ctx, id).await
    }

    /// Resource groups the caller may read, a page at a time.
    pub async fn list_resource_groups(
        &self,
        ctx: &Ctx,
        owner: Option<Id>,
        q: Option<&str>,
        page: PageReq,
    ) -> CoreResult<Page<ResourceGroup>> {
        let mut tx = self.read().await?;
        let mut query = OwnedQuery {
            owner,
            name_prefix: validate::prefix(q)?,
            ..OwnedQuery::default()
        };
        match self
            .visible_owners_or_projects(tx.as_mut(), ctx, "resource-group")
            .await?
        {
            Visible::Everything => {}
            Visible::Owners(owners) => query.owner_in = Some(owners),
            Visible::Nothing => return Ok(page.finish(Vec::new(), |g: &ResourceGroup| g.id)),
        }
        let rows = tx
            .list_resource_groups(ctx.actor.scope(), &query, page.probe())
            .await?;
        Ok(page.finish(rows, |g| g.id))
    }

    /// Deletes a resource group with the grants held on it; its resources stay.
    pub async fn delete_resource_group(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let g = self.visible_resource_group(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "resource-group", "delete", g.id)?;
            check_version(expected_version, g.version)?;
            tx.delete_resource_group(id).await?;
            audit(
                tx.as_mut(),
                ctx,
                g.tenant,
                "resource_group.delete",
                Some(id),
                json!({"name": g.name}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::ResourceGroup, id)])
                .await
        })
        .await
    }

    /// Puts a resource of the group's tenant in a resource group (`resource-group:update`);
    /// grants on the group now hold on it.
    pub async fn add_resource_to_group(
        &self,
        ctx: &Ctx,
        group: Id,
        resource: Id,
    ) -> CoreResult<()> {
        self.retrying(|| self.change_resource_group(ctx, group, resource, true))
            .await
    }

    /// Takes a resource out of a resource group.
    pub async fn remove_resource_from_group(
        &self,
        ctx: &Ctx,
        group: Id,
        resource: Id,
    ) -> CoreResult<()> {
        self.retrying(|| self.change_resource_group(ctx, group, resource, false))
            .await
    }

    async fn change_resource_group(
        &self,
        ctx: &Ctx,
        group: Id,
        resource: Id,
        add: bool,
    ) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let g = self.visible_resource_group(tx.as_mut(), ctx, group).await?;
        self.require(ctx, "resource-group", "update", g.id)?;
        let r = tx
            .get_resource(TenantScope::Tenant(g.tenant), resource)
            .await?
            .ok_or_else(|| {
                CoreError::invalid("unknown_resource", "resource", "resource does not exist")
            })?;
        let changed = if add {
            tx.add_resource_group_member(g.id, r.id).await?
        } else {
            tx.remove_resource_group_member(g.id, r.id).await?
        };
        if !add && !changed {
            return Err(CoreError::not_found("resource group member"));
        }
        audit(
            tx.as_mut(),
            ctx,
            g.tenant,
            if add {
                "resource_group.member_add"
            } else {
                "resource_group.member_remove"
            },
            Some(g.id),
            json!({"resource": r.id}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::Resource, r.id)])
            .await
    }

    async fn visible_resource(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<Resource> {
        tx.get_resource(ctx.actor.scope(), id)
            .await?
            .filter(|r| self.may(ctx, "resource", "read", r.id))
            .ok_or_else(|| CoreError::not_found("resource"))
    }

    async fn visible_resource_group(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<ResourceGroup> {
        tx.get_resource_group(ctx.actor.scope(), id)
            .await?
            .filter(|g| self.may(ctx, "resource-group", "read", g.id))
            .ok_or_else(|| CoreError::not_found("resource group"))
    }
}
