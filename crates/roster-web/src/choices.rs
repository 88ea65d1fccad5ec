//! The choices forms offer: owners (tenants and customers the caller administers) and the
//! groups a user of an owner may join. Each list is one capped page from the service.

use roster_core::model::{GroupKind, OrgKind};
use roster_core::page::PageReq;
use roster_core::service::{GroupFilter, OrgFilter};
use roster_core::{CoreResult, Ctx, Id, Service, SYSTEM_NODE_ID};
use std::collections::HashMap;

/// At most this many tenants and this many customers are offered as owners.
const OWNER_LIMIT: u32 = 200;
/// At most this many groups per org node are offered to join.
const GROUP_LIMIT: u32 = 100;

/// A tenant or customer to own users and groups.
#[derive(Debug, Clone)]
pub struct Owner {
    /// Its id.
    pub id: Id,
    /// Its name with its ancestors', like `Acme › North`.
    pub label: String,
    /// Ids from the root down to it.
    path: Vec<Id>,
    /// Tenant or customer.
    pub kind: OrgKind,
}

/// A group to join.
#[derive(Debug, Clone)]
pub struct GroupChoice {
    /// Its id.
    pub id: Id,
    /// Its name, with its owner's when that is an ancestor of the user's owner.
    pub label: String,
    /// Predefined or custom.
    pub kind: GroupKind,
    /// Its owner.
    pub owner: Id,
}

/// The first page of fetching everything this asks.
fn first(limit: u32) -> PageReq {
    PageReq { after: None, limit }
}

/// The tenants and customers the caller administers, labelled with their ancestry.
pub async fn owners(s: &Service, ctx: &Ctx) -> CoreResult<Vec<Owner>> {
    let mut nodes = Vec::new();
    for kind in [OrgKind::Tenant, OrgKind::Customer] {
        let page = s
            .list_org_nodes(ctx, kind, &OrgFilter::default(), first(OWNER_LIMIT))
            .await?;
        nodes.extend(page.items);
    }
    let names: HashMap<Id, &str> = nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    let mut owners: Vec<Owner> = nodes
        .iter()
        .map(|n| Owner {
            id: n.id,
            label: n
                .path
                .iter()
                .filter_map(|id| names.get(id).copied())
                .collect::<Vec<_>>()
                .join(" › "),
            path: n.path.clone(),
            kind: n.kind,
        })
        .collect();
    owners.sort_by_key(|o| o.label.to_lowercase());
    Ok(owners)
}

/// Of `owners`, those under which the caller may create a `rtype` (`user`, `group`): seeing
/// a tenant is not administering it.
pub fn creatable(s: &Service, ctx: &Ctx, rtype: &str, owners: &[Owner]) -> Vec<Owner> {
    owners
        .iter()
        .filter(|o| s.caller_may(ctx, rtype, "create", o.id))
        .cloned()
        .collect()
}

/// The label of an owner: the system root, one of `owners`, or a neutral mark for one out
/// of the caller's sight.
pub fn owner_label(owners: &[Owner], id: Id) -> String {
    if id == SYSTEM_NODE_ID {
        return "System".to_string();
    }
    owners
        .iter()
        .find(|o| o.id == id)
        .map_or_else(|| "—".to_string(), |o| o.label.clone())
}

/// The groups a user owned by `owner` may join: those of the owner and of its ancestors
/// (except the implicit `All`, whose members are fixed).
pub async fn groups_for(
    s: &Service,
    ctx: &Ctx,
    owners: &[Owner],
    owner: Id,
) -> CoreResult<Vec<GroupChoice>> {
    let path = owners
        .iter()
        .find(|o| o.id == owner)
        .map_or_else(|| vec![owner], |o| o.path.clone());
    let mut out = Vec::new();
    for node in path
        .into_iter()
        .filter(|n| *n != SYSTEM_NODE_ID || *n == owner)
    {
        let filter = GroupFilter {
            owner: Some(node),
            ..GroupFilter::default()
        };
        let page = s.list_groups(ctx, &filter, first(GROUP_LIMIT)).await?;
        for g in page.items.into_iter().filter(|g| g.kind != GroupKind::All) {
            let label = if node == owner {
                g.name.clone()
            } else {
                format!("{} ({})", g.name, owner_label(owners, node))
            };
            out.push(GroupChoice {
                id: g.id,
                label,
                kind: g.kind,
                owner: g.owner,
            });
        }
    }
    Ok(out)
}

impl Owner {
    /// Whether this node is `node` or lies below it.
    pub fn is_within(&self, node: Id) -> bool {
        self.path.contains(&node)
    }
}
