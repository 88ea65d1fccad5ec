//! Tenants and customers: the org tree below the system root.

use super::{audit, check_version, unique_as, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, SYSTEM_NODE_ID};
use crate::model::{Group, GroupKind, GroupLevel, OrgKind, OrgNode, OrgQuery};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;

/// Filters for listing tenants or customers.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Only direct children of this node.
    pub parent: Option<Id>,
    /// Name prefix.
    pub q: Option<String>,
}

/// A change to an org node.
#[derive(Debug, Clone, Default)]
pub struct UpdateOrgNode {
    /// New name.
    pub name: Option<String>,
}

fn kind_label(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::System => "System",
        OrgKind::Tenant => "Tenant",
        OrgKind::Customer => "Customer",
    }
}

fn not_found(kind: OrgKind) -> CoreError {
    CoreError::not_found(match kind {
        OrgKind::Customer => "customer",
        _ => "tenant",
    })
}

/// Creates a node with its predefined groups (and, for a tenant, the implicit `All` group).
pub(super) async fn insert_node_with_groups(
    tx: &mut dyn StoreTx,
    node: &OrgNode,
) -> CoreResult<()> {
    tx.insert_org_node(node).await.map_err(unique_as(
        "name_taken",
        format!("a sibling named '{}' already exists", node.name),
    ))?;
    let label = kind_label(node.kind);
    let mut kinds = vec![
        (
            GroupKind::Administrators,
            format!("{label} Administrators"),
            "full rights on this subtree",
        ),
        (
            GroupKind::Users,
            format!("{label} Users"),
            "read-only rights on this subtree",
        ),
    ];
    if node.kind == OrgKind::Tenant {
        kinds.push((
            GroupKind::All,
            "All".to_string(),
            "every user of the tenant",
        ));
    }
    for (kind, name, description) in kinds {
        let group = Group {
            id: new_id(),
            tenant: node.tenant,
            owner: node.id,
            name,
            description: description.to_string(),
            level: GroupLevel::Org,
            kind,
            version: 1,
            created_at: node.created_at,
            updated_at: node.created_at,
        };
        tx.insert_group(&group).await?;
    }
    Ok(())
}

impl Service {
    /// Creates a tenant (system administrators only).
    pub async fn create_tenant(&self, ctx: &Ctx, name: &str) -> CoreResult<OrgNode> {
        self.retrying(|| self.create_tenant_once(ctx, name)).await
    }

    /// One attempt of [`Service::create_tenant`].
    async fn create_tenant_once(&self, ctx: &Ctx, name: &str) -> CoreResult<OrgNode> {
        if !ctx.actor.system_admin {
            return Err(CoreError::forbidden(
                "only system administrators create tenants",
            ));
        }
        let name = validate::name("name", name)?;
        let id = new_id();
        let at = now();
        let node = OrgNode {
            id,
            kind: OrgKind::Tenant,
            name,
            parent: Some(SYSTEM_NODE_ID),
            tenant: id,
            path: vec![SYSTEM_NODE_ID, id],
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.write().await?;
        insert_node_with_groups(tx.as_mut(), &node).await?;
        audit(
            tx.as_mut(),
            ctx,
            id,
            "tenant.create",
            Some(id),
            json!({"name": node.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(node)
    }

    /// Creates a customer under a tenant or another customer the caller administers.
    pub async fn create_customer(&self, ctx: &Ctx, name: &str, parent: Id) -> CoreResult<OrgNode> {
        self.retrying(|| self.create_customer_once(ctx, name, parent))
            .await
    }

    /// One attempt of [`Service::create_customer`].
    async fn create_customer_once(&self, ctx: &Ctx, name: &str, parent: Id) -> CoreResult<OrgNode> {
        let name = validate::name("name", name)?;
        let mut tx = self.write().await?;
        let parent_node = tx
            .get_org_node(ctx.actor.scope(), parent)
            .await?
            .filter(|p| p.kind != OrgKind::System && ctx.actor.administers(p))
            .ok_or_else(|| {
                CoreError::invalid(
                    "unknown_parent",
                    "parent",
                    "the parent tenant or customer does not exist",
                )
            })?;
        let id = new_id();
        let at = now();
        let mut path = parent_node.path.clone();
        path.push(id);
        let node = OrgNode {
            id,
            kind: OrgKind::Customer,
            name,
            parent: Some(parent),
            tenant: parent_node.tenant,
            path,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        insert_node_with_groups(tx.as_mut(), &node).await?;
        audit(
            tx.as_mut(),
            ctx,
            node.tenant,
            "customer.create",
            Some(id),
            json!({"name": node.name, "parent": parent}),
        )
        .await?;
        tx.commit().await?;
        Ok(node)
    }

    /// One tenant or customer the caller administers.
    pub async fn get_org_node(&self, ctx: &Ctx, kind: OrgKind, id: Id) -> CoreResult<OrgNode> {
        let mut tx = self.read().await?;
        visible_node(tx.as_mut(), ctx, kind, id).await
    }

    /// Tenants or customers the caller administers, a page at a time.
    pub async fn list_org_nodes(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        filter: &OrgFilter,
        page: PageReq,
    ) -> CoreResult<Page<OrgNode>> {
        let within = if ctx.actor.system_admin {
            None
        } else if ctx.actor.admin_of.is_empty() {
            return Ok(page.finish(Vec::new(), |n: &OrgNode| n.id));
        } else {
            Some(ctx.actor.admin_of.clone())
        };
        let query = OrgQuery {
            kind: Some(kind),
            parent: filter.parent,
            within,
            name_prefix: validate::prefix(filter.q.as_deref())?,
        };
        let mut tx = self.read().await?;
        let rows = tx
            .list_org_nodes(ctx.actor.scope(), &query, page.probe())
            .await?;
        Ok(page.finish(rows, |n| n.id))
    }

    /// Renames a tenant or customer the caller administers.
    pub async fn update_org_node(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        id: Id,
        change: &UpdateOrgNode,
        expected_version: Option<i64>,
    ) -> CoreResult<OrgNode> {
        self.retrying(|| self.update_org_node_once(ctx, kind, id, change, expected_version))
            .await
    }

    /// One attempt of [`Service::update_org_node`].
    async fn update_org_node_once(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        id: Id,
        change: &UpdateOrgNode,
        expected_version: Option<i64>,
    ) -> CoreResult<OrgNode> {
        let mut tx = self.write().await?;
        let mut node = visible_node(tx.as_mut(), ctx, kind, id).await?;
        check_version(expected_version, node.version)?;
        let before = node.name.clone();
        if let Some(name) = &change.name {
            node.name = validate::name("name", name)?;
        }
        if node.name == before {
            return Ok(node);
        }
        node.version += 1;
        node.updated_at = now();
        tx.update_org_node(&node).await.map_err(unique_as(
            "name_taken",
            format!("a sibling named '{}' already exists", node.name),
        ))?;
        let action = format!("{}.update", kind.as_str());
        audit(
            tx.as_mut(),
            ctx,
            node.tenant,
            &action,
            Some(id),
            json!({"name": {"from": before, "to": node.name}}),
        )
        .await?;
        tx.commit().await?;
        Ok(node)
    }

    /// Deletes an empty tenant or customer; the caller must administer its parent.
    pub async fn delete_org_node(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| self.delete_org_node_once(ctx, kind, id, expected_version))
            .await
    }

    /// One attempt of [`Service::delete_org_node`].
    async fn delete_org_node_once(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let node = visible_node(tx.as_mut(), ctx, kind, id).await?;
        check_version(expected_version, node.version)?;
        let parent_administered = match node.parent {
            Some(p) => tx
                .get_org_node(TenantScope::All, p)
                .await?
                .is_some_and(|p| ctx.actor.administers(&p)),
            None => false,
        };
        if !parent_administered {
            return Err(CoreError::forbidden(format!(
                "deleting a {} needs administrator rights on its parent",
                kind.as_str()
            )));
        }
        if tx.org_node_in_use(id).await? {
            return Err(CoreError::conflict(
                "not_empty",
                format!(
                    "the {} still has customers, users or groups; move or delete them first",
                    kind.as_str()
                ),
            ));
        }
        tx.delete_org_node(id).await?;
        let action = format!("{}.delete", kind.as_str());
        audit(
            tx.as_mut(),
            ctx,
            node.tenant,
            &action,
            Some(id),
            json!({"name": node.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The node `id` of `kind`, if the caller administers it; otherwise "not found".
async fn visible_node(
    tx: &mut dyn StoreTx,
    ctx: &Ctx,
    kind: OrgKind,
    id: Id,
) -> CoreResult<OrgNode> {
    tx.get_org_node(ctx.actor.scope(), id)
        .await?
        .filter(|n| n.kind == kind && ctx.actor.administers(n))
        .ok_or_else(|| not_found(kind))
}

/// The org node `id` if the caller administers it; for references in request bodies.
pub(super) async fn administered_node(
    tx: &mut dyn StoreTx,
    ctx: &Ctx,
    id: Id,
    field: &str,
) -> CoreResult<OrgNode> {
    tx.get_org_node(ctx.actor.scope(), id)
        .await?
        .filter(|n| ctx.actor.administers(n))
        .ok_or_else(|| {
            CoreError::invalid(
                "unknown_owner",
                field,
                format!("{field} does not name a tenant or customer you administer"),
            )
        })
}
