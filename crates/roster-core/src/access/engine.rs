//! The access engine: one node's access index, and how it follows the database. After every
//! committed change (on this node or another) it reads the access change log past its own
//! version and reloads the facts of each object named there, in one read snapshot; when it has
//! fallen too far behind, has never loaded, or deletions have left a quarter of the index's
//! slots as tombstones, it rebuilds from a full snapshot.

use super::index::{AccessIndex, Facts};
use crate::model::{AccessChange, AccessKind, AccessUser, UserStatus};
use crate::store::{Store, StoreResult, StoreTx, TenantScope};
use parking_lot::RwLock;
use std::collections::HashSet;

/// How many log entries are applied one by one before a full rebuild is cheaper.
const MAX_INCREMENTAL: u32 = 5_000;

/// One node's access index and its catching up with the store.
#[derive(Debug, Default)]
pub struct AccessEngine {
    index: RwLock<AccessIndex>,
    loaded: RwLock<bool>,
    updating: tokio::sync::Mutex<()>,
}

impl AccessEngine {
    /// An engine that has not loaded yet; the first [`AccessEngine::catch_up`] loads it.
    pub fn new() -> Self {
        AccessEngine::default()
    }

    /// Runs `f` over the current index.
    pub fn read<T>(&self, f: impl FnOnce(&AccessIndex) -> T) -> T {
        f(&self.index.read())
    }

    /// Whether the index has been loaded from the store.
    pub fn is_loaded(&self) -> bool {
        *self.loaded.read()
    }

    /// Brings the index up to the newest committed version of the access change log.
    pub async fn catch_up(&self, store: &dyn Store) -> StoreResult<()> {
        let _one_at_a_time = self.updating.lock().await;
        let mut tx = store.read().await?;
        if !self.is_loaded() {
            return self.rebuild(tx.as_mut()).await;
        }
        let from = self.index.read().version();
        let changes = tx.access_changes_since(from, MAX_INCREMENTAL).await?;
        let Some(&(last, _)) = changes.last() else {
            return Ok(());
        };
        if changes.len() as u32 >= MAX_INCREMENTAL {
            return self.rebuild(tx.as_mut()).await;
        }
        let mut seen = HashSet::new();
        let mut facts = Vec::new();
        for (_, change) in changes {
            if seen.insert(change) {
                facts.push(load_facts(tx.as_mut(), change).await?);
            }
        }
        let sparse = {
            let mut index = self.index.write();
            index.apply(facts, last);
            index.is_sparse()
        };
        if sparse {
            return self.rebuild(tx.as_mut()).await;
        }
        Ok(())
    }

    async fn rebuild(&self, tx: &mut dyn StoreTx) -> StoreResult<()> {
        let snapshot = tx.access_snapshot().await?;
        let built = AccessIndex::build(snapshot);
        *self.index.write() = built;
        *self.loaded.write() = true;
        Ok(())
    }
}

/// The facts of one changed object, as the store holds them now.
async fn load_facts(tx: &mut dyn StoreTx, change: AccessChange) -> StoreResult<Facts> {
    let id = change.id;
    let all = TenantScope::All;
    Ok(match change.kind {
        AccessKind::Node => Facts::Node(id, tx.get_org_node(all, id).await?),
        AccessKind::User => {
            let user = match tx.get_user(all, id).await? {
                Some(u) => {
                    let ms = tx.memberships_of_user(id).await?;
                    Some((
                        AccessUser {
                            id,
                            tenant: u.tenant,
                            owner: u.owner,
                            active: u.status == UserStatus::Active,
                        },
                        ms,
                    ))
                }
                None => None,
            };
            Facts::User(id, user)
        }
        AccessKind::Group => Facts::Group(id, tx.get_group(all, id).await?),
        AccessKind::Project => {
            let project = match tx.get_project(all, id).await? {
                Some(p) => {
                    let groups = crate::lists::groups_of_project(tx, id).await?;
                    Some((p, groups))
                }
                None => None,
            };
            Facts::Project(id, project)
        }
        AccessKind::Resource => {
            let resource = match tx.get_resource(all, id).await? {
                Some(r) => Some((r, tx.resource_groups_of(id).await?)),
                None => None,
            };
            Facts::Resource(id, resource)
        }
        AccessKind::ResourceGroup => {
            Facts::ResourceGroup(id, tx.get_resource_group(all, id).await?)
        }
        AccessKind::Role => Facts::Role(id, tx.get_role(all, id).await?),
        AccessKind::Grant => Facts::Grant(id, tx.get_grant(all, id).await?),
    })
}
