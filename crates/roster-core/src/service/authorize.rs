//! Authorisation of every service function through the access engine, the no-escalation rule,
//! and what lists may show; plus how changes reach the index.

use super::{Ctx, Service};
use crate::access::{micros, Permission, Wanted};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id};
use crate::model::{AccessChange, Effect, Grant};
use crate::store::StoreTx;

/// Which owners a list may show rows of.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Visible {
    /// Everything in the read scope (the caller reads the whole tenant, or everything).
    Everything,
    /// Only rows owned by these nodes.
    Owners(Vec<Id>),
    /// Nothing (beyond what the caller may always see of themselves).
    Nothing,
}

impl Service {
    /// Whether the caller may do `rtype:action` on `target` (an object, or the org node,
    /// project or resource group it is asked about).
    pub(super) fn may(&self, ctx: &Ctx, rtype: &str, action: &str, target: Id) -> bool {
        self.caller_holds(ctx, Wanted::new(rtype, action), target)
    }

    /// Whether the caller may do `rtype:action` on `target`, for clients deciding which
    /// controls to show. It authorises nothing: every change asks again for itself.
    pub fn caller_may(&self, ctx: &Ctx, rtype: &str, action: &str, target: Id) -> bool {
        self.may(ctx, rtype, action, target)
    }

    /// Refuses unless the caller may do `rtype:action` on `target`.
    pub(super) fn require(
        &self,
        ctx: &Ctx,
        rtype: &str,
        action: &str,
        target: Id,
    ) -> CoreResult<()> {
        if self.may(ctx, rtype, action, target) {
            Ok(())
        } else {
            Err(CoreError::forbidden(format!(
                "you do not have {rtype}:{action} here"
            )))
        }
    }

    /// Whether the caller holds `p` on `target` in full (a wildcard in every part it spells).
    pub(super) fn holds(&self, ctx: &Ctx, p: &Permission, target: Id) -> bool {
        self.caller_holds(ctx, Wanted::of(p), target)
    }

    /// The one question both ask the index; roster itself holds everything.
    fn caller_holds(&self, ctx: &Ctx, wanted: Wanted<'_>, target: Id) -> bool {
        match ctx.actor.user {
            None => ctx.actor.system_admin,
            Some(user) => self
                .access
                .read(|ix| ix.holds(user, wanted, target, micros(now()))),
        }
    }

    /// The no-escalation rule: refuses unless the caller holds every permission of each allow
    /// grant in `grants` on that grant's scope. Whoever gives a grant, or a membership of a
    /// group carrying grants, must hold what it gives.
    pub(super) fn require_holds_all(&self, ctx: &Ctx, grants: &[Grant]) -> CoreResult<()> {
        for g in grants.iter().filter(|g| g.effect == Effect::Allow) {
            for p in self.permissions_of(g) {
                if !self.holds(ctx, &p, g.scope) {
                    return Err(escalation(&p, g.scope));
                }
            }
        }
        Ok(())
    }

    /// The permissions a grant gives: its role's, or its inline ones.
    pub(super) fn permissions_of(&self, g: &Grant) -> Vec<Permission> {
        match g.role {
            Some(role) => self.access.read(|ix| ix.role_permissions(role)),
            None => g
                .permissions
                .iter()
                .filter_map(|p| Permission::parse(p).ok())
                .collect(),
        }
    }

    /// The owners whose rows of `rtype` the caller may list, within `tx`'s tenant scope.
    pub(super) async fn visible_owners(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        rtype: &str,
    ) -> CoreResult<Visible> {
        let Some(user) = ctx.actor.user else {
            return Ok(if ctx.actor.system_admin {
                Visible::Everything
            } else {
                Visible::Nothing
            });
        };
        let wanted = Wanted::new(rtype, "read");
        let roots = self
            .access
            .read(|ix| ix.node_roots(user, wanted, micros(now())));
        if roots.allowed.is_empty() {
            return Ok(Visible::Nothing);
        }
        let whole = roots.allowed.contains(&ctx.actor.tenant)
            || roots.allowed.contains(&crate::SYSTEM_NODE_ID);
        if whole && roots.denied.is_empty() {
            return Ok(Visible::Everything);
        }
        let mut owners = Vec::new();
        for node in &roots.allowed {
            owners.extend(tx.subtree_ids(*node).await?);
        }
        let mut hidden = Vec::new();
        for node in &roots.denied {
            hidden.extend(tx.subtree_ids(*node).await?);
        }
        owners.sort();
        owners.dedup();
        hidden.sort();
        owners.retain(|o| hidden.binary_search(o).is_err());
        Ok(Visible::Owners(owners))
    }

    /// As [`Service::visible_owners`], for kinds that projects own too (groups, resources,
    /// resource groups): the listed owners include the projects of the visible nodes.
    pub(super) async fn visible_owners_or_projects(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        rtype: &str,
    ) -> CoreResult<Visible> {
        Ok(match self.visible_owners(tx, ctx, rtype).await? {
            Visible::Owners(mut owners) => {
                let projects = self.access.read(|ix| ix.projects_owned_by(&owners));
                owners.extend(projects);
                Visible::Owners(owners)
            }
            other => other,
        })
    }

    /// Records `changes` in the access change log, commits, and brings this node's index up
    /// to date, so the next decision sees them.
    pub(super) async fn commit_access(
        &self,
        mut tx: Box<dyn StoreTx>,
        changes: &[AccessChange],
    ) -> CoreResult<()> {
        if !changes.is_empty() {
            tx.record_access_changes(changes).await?;
        }
        tx.commit().await?;
        if !changes.is_empty() {
            self.refresh_access().await;
        }
        Ok(())
    }

    /// Follows access changes committed by other nodes, forever: on each database
    /// notification where the store sends them, and every `poll` regardless (a backstop for
    /// lost notifications, and the only way on stores without them). This node's own changes
    /// are applied as they commit.
    pub async fn follow_access(&self, poll: std::time::Duration) {
        loop {
            let mut watch = match self.store.watch_access().await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot subscribe to access changes; polling");
                    None
                }
            };
            self.refresh_access().await;
            loop {
                let signal = async {
                    match watch.as_mut() {
                        Some(w) => w.changed().await.is_ok(),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    ok = signal => {
                        self.refresh_access().await;
                        if !ok {
                            break; // subscribe again
                        }
                    }
                    _ = tokio::time::sleep(poll) => self.refresh_access().await,
                }
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// How many objects this node's access index holds.
    pub fn access_sizes(&self) -> crate::access::IndexSizes {
        self.access.read(|ix| ix.sizes())
    }

    /// Brings this node's access index up to the newest committed change. A failure is
    /// logged, not returned: the change it follows is committed, and the next refresh (the
    /// server polls) repairs the index.
    pub async fn refresh_access(&self) {
        if let Err(e) = self.access.catch_up(self.store.as_ref()).await {
            tracing::warn!(error = %e, "the access index could not catch up; will retry");
        }
    }
}

/// The refusal of a change that would give rights the caller does not hold.
fn escalation(p: &Permission, scope: Id) -> CoreError {
    CoreError::Forbidden {
        message: format!("you cannot give {p} on {scope}: you do not hold it there yourself"),
    }
}
