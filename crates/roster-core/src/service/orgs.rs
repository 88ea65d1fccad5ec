//! Tenants and customers: the org tree below the system root.

use super::authorize::Visible;
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::access::builtin::{ADMINISTRATOR_ROLE, READ_ONLY_ROLE};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, SYSTEM_NODE_ID};
use crate::model::{
    AccessChange, AccessKind, Effect, Grant, Group, GroupKind, GroupLevel, OrgKind, OrgNode,
    OrgQuery, ScopeKind, SubjectKind,
};
use crate::page::{Page, PageReq};
use crate::store::StoreTx;
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

/// Creates a node with its predefined groups (and, for a tenant, the implicit `All` group),
/// and the built-in grants those groups hold: `Administrator` on the node for its
/// Administrators, `Read only` for its Users. Returns the access changes made.
pub(super) async fn insert_node_with_groups(
    tx: &mut dyn StoreTx,
    node: &OrgNode,
) -> CoreResult<Vec<AccessChange>> {
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
    let mut changes = vec![AccessChange::new(AccessKind::Node, node.id)];
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
        changes.push(AccessChange::new(AccessKind::Group, group.id));
        let role = match kind {
            GroupKind::Administrators => ADMINISTRATOR_ROLE,
            GroupKind::Users => READ_ONLY_ROLE,
            GroupKind::All | GroupKind::Custom => continue,
        };
        let grant = Grant {
            id: new_id(),
            tenant: node.tenant,
            subject: group.id,
            subject_kind: SubjectKind::Group,
            role: Some(role),
            permissions: Vec::new(),
            scope: node.id,
            scope_kind: ScopeKind::Node,
            effect: Effect::Allow,
            valid_from: None,
            valid_until: None,
            version: 1,
            created_at: node.created_at,
            updated_at: node.created_at,
        };
        tx.insert_grant(&grant).await?;
        changes.push(AccessChange::new(AccessKind::Grant, grant.id));
    }
    Ok(changes)
}

impl Service {
    /// Creates a tenant (system administrators only).
    pub async fn create_tenant(&self, ctx: &Ctx, name: &str) -> CoreResult<OrgNode> {
        self.retrying(|| self.create_tenant_once(ctx, name)).await
    }

    /// One attempt of [`Service::create_tenant`].
    async fn create_tenant_once(&self, ctx: &Ctx, name: &str) -> CoreResult<OrgNode> {
        if !self.may(ctx, "tenant", "create", SYSTEM_NODE_ID) {
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
        let changes = insert_node_with_groups(tx.as_mut(), &node).await?;
        audit(
            tx.as_mut(),
            ctx,
            id,
            "tenant.create",
            Some(id),
            json!({"name": node.name}),
        )
        .await?;
        self.commit_access(tx, &changes).await?;
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
            .filter(|p| p.kind != OrgKind::System && self.may(ctx, "customer", "create", p.id))
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
        let changes = insert_node_with_groups(tx.as_mut(), &node).await?;
        audit(
            tx.as_mut(),
            ctx,
            node.tenant,
            "customer.create",
            Some(id),
            json!({"name": node.name, "parent": parent}),
        )
        .await?;
        self.commit_access(tx, &changes).await?;
        Ok(node)
    }

    /// One tenant or customer the caller administers.
    pub async fn get_org_node(&self, ctx: &Ctx, kind: OrgKind, id: Id) -> CoreResult<OrgNode> {
        let mut tx = self.read().await?;
        self.visible_node(tx.as_mut(), ctx, kind, id).await
    }

    /// Tenants or customers the caller administers, a page at a time.
    pub async fn list_org_nodes(
        &self,
        ctx: &Ctx,
        kind: OrgKind,
        filter: &OrgFilter,
        page: PageReq,
    ) -> CoreResult<Page<OrgNode>> {
        let mut tx = self.read().await?;
        let within = match self.visible_owners(tx.as_mut(), ctx, kind.as_str()).await? {
            Visible::Everything => None,
            Visible::Owners(nodes) => Some(nodes),
            Visible::Nothing => return Ok(page.finish(Vec::new(), |n: &OrgNode| n.id)),
        };
        let query = OrgQuery {
            kind: Some(kind),
            parent: filter.parent,
            within,
            name_prefix: validate::prefix(filter.q.as_deref())?,
        };
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
        let mut node = self.visible_node(tx.as_mut(), ctx, kind, id).await?;
        self.require(ctx, kind.as_str(), "update", node.id)?;
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
        let node = self.visible_node(tx.as_mut(), ctx, kind, id).await?;
        check_version(expected_version, node.version)?;
        let parent_administered = node
            .parent
            .is_some_and(|p| self.may(ctx, kind.as_str(), "delete", p));
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
        let mut changes = vec![AccessChange::new(AccessKind::Node, id)];
        for k in [GroupKind::Administrators, GroupKind::Users, GroupKind::All] {
            if let Some(g) = tx.predefined_group(id, k).await? {
                changes.push(AccessChange::new(AccessKind::Group, g.id));
            }
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
        self.commit_access(tx, &changes).await?;
        Ok(())
    }
}

impl Service {
    /// The node `id` of `kind`, if the caller may read it; otherwise "not found".
    async fn visible_node(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        kind: OrgKind,
        id: Id,
    ) -> CoreResult<OrgNode> {
        tx.get_org_node(ctx.actor.scope(), id)
            .await?
            .filter(|n| n.kind == kind && self.may(ctx, kind.as_str(), "read", n.id))
            .ok_or_else(|| not_found(kind))
    }

    /// The owner `id` named in a request body as `field` — an org node, or a project —
    /// if the caller may do `rtype:action` there; its tenant, and whether it is a project.
    pub(super) async fn owner_where(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
        field: &str,
        rtype: &str,
        action: &str,
    ) -> CoreResult<(Id, bool)> {
        match tx.get_project(ctx.actor.scope(), id).await? {
            Some(p) if self.may(ctx, rtype, action, p.id) => Ok((p.tenant, true)),
            Some(_) => Err(CoreError::invalid(
                "unknown_owner",
                field,
                format!("{field} does not name a project where you have {rtype}:{action}"),
            )),
            None => {
                let node = self.node_where(tx, ctx, id, field, rtype, action).await?;
                Ok((node.tenant, false))
            }
        }
    }

    /// The org node `id` named in a request body as `field`, if the caller may do
    /// `rtype:action` there (`user:create` for a new user's owner, say).
    pub(super) async fn node_where(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
        field: &str,
        rtype: &str,
        action: &str,
    ) -> CoreResult<OrgNode> {
        let node = tx
            .get_org_node(ctx.actor.scope(), id)
            .await?
            .filter(|n| n.kind != OrgKind::System || ctx.actor.system_admin)
            .ok_or_else(|| {
                CoreError::invalid(
                    "unknown_owner",
                    field,
                    format!("{field} does not name a tenant or customer"),
                )
            })?;
        if !self.may(ctx, rtype, action, node.id) {
            return Err(CoreError::invalid(
                "unknown_owner",
                field,
                format!(
                    "{field} does not name a tenant or customer where you have {rtype}:{action}"
                ),
            ));
        }
        Ok(node)
    }
}
