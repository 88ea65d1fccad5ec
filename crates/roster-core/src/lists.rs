//! Whole lists read through the store contract a page at a time, for the service layer and the
//! access engine alike.

use crate::ids::Id;
use crate::model::{Grant, GrantQuery, GroupQuery};
use crate::page::PageReq;
use crate::store::{StoreResult, StoreTx, TenantScope};

/// Rows per page while reading a whole list.
const PAGE: u32 = 1000;

fn page(after: Option<Id>) -> PageReq {
    PageReq { after, limit: PAGE }
}

/// Every group of a project: the org-level groups attached to it, then its project-level
/// groups (those it owns).
pub(crate) async fn groups_of_project(tx: &mut dyn StoreTx, project: Id) -> StoreResult<Vec<Id>> {
    let mut groups = tx.attached_groups(project).await?;
    let query = GroupQuery {
        owner: Some(project),
        ..GroupQuery::default()
    };
    let mut after = None;
    loop {
        let rows = tx
            .list_groups(TenantScope::All, &query, page(after))
            .await?;
        after = rows.last().map(|g| g.id);
        groups.extend(rows.iter().map(|g| g.id));
        if rows.len() < PAGE as usize {
            return Ok(groups);
        }
    }
}

/// Every explicit member of a group.
pub(crate) async fn all_members(tx: &mut dyn StoreTx, group: Id) -> StoreResult<Vec<Id>> {
    let mut members = Vec::new();
    let mut after = None;
    loop {
        let rows = tx.list_memberships(group, page(after)).await?;
        after = rows.last().map(|m| m.user);
        members.extend(rows.iter().map(|m| m.user));
        if rows.len() < PAGE as usize {
            return Ok(members);
        }
    }
}

/// Every grant given to `subject`.
pub(crate) async fn grants_of_subject(
    tx: &mut dyn StoreTx,
    subject: Id,
) -> StoreResult<Vec<Grant>> {
    let query = GrantQuery {
        subject: Some(subject),
        ..GrantQuery::default()
    };
    let mut grants = Vec::new();
    let mut after = None;
    loop {
        let rows = tx
            .list_grants(TenantScope::All, &query, page(after))
            .await?;
        after = rows.last().map(|g| g.id);
        let done = rows.len() < PAGE as usize;
        grants.extend(rows);
        if done {
            return Ok(grants);
        }
    }
}
