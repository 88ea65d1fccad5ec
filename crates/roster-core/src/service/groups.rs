//! Groups and their members.

use super::orgs::administered_node;
use super::users::visible_user;
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, Timestamp};
use crate::model::{
    Group, GroupKind, GroupLevel, GroupQuery, Membership, OrgNode, User, UserQuery,
};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;

/// What an administrator fills in to create a group.
#[derive(Debug, Clone)]
pub struct CreateGroup {
    /// Name, unique per owner.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Owning tenant or customer.
    pub owner: Id,
}

/// A partial change to a group.
#[derive(Debug, Clone, Default)]
pub struct UpdateGroup {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// Filters for listing groups.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    /// Owned by exactly this node.
    pub owner: Option<Id>,
    /// Groups this user is a member of.
    pub member: Option<Id>,
    /// Name prefix.
    pub q: Option<String>,
}

/// A member as listed: the user and the window of their membership.
#[derive(Debug, Clone)]
pub struct MemberView {
    /// The member.
    pub user: User,
    /// Not effective before.
    pub valid_from: Option<Timestamp>,
    /// Not effective from.
    pub valid_until: Option<Timestamp>,
}

impl Service {
    /// Creates a custom group owned by a node the caller administers.
    pub async fn create_group(&self, ctx: &Ctx, input: CreateGroup) -> CoreResult<Group> {
        self.retrying(|| self.create_group_once(ctx, &input)).await
    }

    /// One attempt of [`Service::create_group`].
    async fn create_group_once(&self, ctx: &Ctx, input: &CreateGroup) -> CoreResult<Group> {
        let name = validate::name("name", &input.name)?;
        let description = validate::description(input.description.as_deref().unwrap_or(""))?;
        let mut tx = self.write().await?;
        let owner = administered_node(tx.as_mut(), ctx, input.owner, "owner").await?;
        let at = now();
        let group = Group {
            id: new_id(),
            tenant: owner.tenant,
            owner: owner.id,
            name,
            description,
            level: GroupLevel::Org,
            kind: GroupKind::Custom,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        tx.insert_group(&group).await.map_err(unique_as(
            "name_taken",
            format!("a group named '{}' already exists here", group.name),
        ))?;
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.create",
            Some(group.id),
            json!({"name": group.name, "owner": group.owner}),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    /// One group the caller administers.
    pub async fn get_group(&self, ctx: &Ctx, id: Id) -> CoreResult<Group> {
        let mut tx = self.read().await?;
        Ok(visible_group(tx.as_mut(), ctx, id).await?.0)
    }

    /// Groups the caller administers (or, for anyone, the groups they are in).
    pub async fn list_groups(
        &self,
        ctx: &Ctx,
        filter: &GroupFilter,
        page: PageReq,
    ) -> CoreResult<Page<Group>> {
        let mut query = GroupQuery {
            owner: filter.owner,
            member: filter.member,
            name_prefix: validate::prefix(filter.q.as_deref())?,
            ..GroupQuery::default()
        };
        let mut tx = self.read().await?;
        let own_groups = filter.member.is_some() && filter.member == ctx.actor.user;
        if !ctx.actor.system_admin && !ctx.actor.admin_of.contains(&ctx.actor.tenant) && !own_groups
        {
            if ctx.actor.admin_of.is_empty() {
                return Ok(page.finish(Vec::new(), |g: &Group| g.id));
            }
            let mut owners = Vec::new();
            for node in &ctx.actor.admin_of {
                owners.extend(tx.subtree_ids(*node).await?);
            }
            query.owner_in = Some(owners);
        }
        let rows = tx
            .list_groups(ctx.actor.scope(), &query, page.probe())
            .await?;
        Ok(page.finish(rows, |g| g.id))
    }

    /// Renames or describes a group; predefined groups keep their names.
    pub async fn update_group(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateGroup,
        expected_version: Option<i64>,
    ) -> CoreResult<Group> {
        self.retrying(|| self.update_group_once(ctx, id, change, expected_version))
            .await
    }

    /// One attempt of [`Service::update_group`].
    async fn update_group_once(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateGroup,
        expected_version: Option<i64>,
    ) -> CoreResult<Group> {
        let mut tx = self.write().await?;
        let (mut group, _) = visible_group(tx.as_mut(), ctx, id).await?;
        check_version(expected_version, group.version)?;
        let before = group.clone();
        if let Some(n) = &change.name {
            let n = validate::name("name", n)?;
            if n != group.name && group.is_predefined() {
                return Err(CoreError::conflict(
                    "group_predefined",
                    "a predefined group cannot be renamed",
                ));
            }
            group.name = n;
        }
        if let Some(d) = &change.description {
            group.description = validate::description(d)?;
        }
        if group == before {
            return Ok(group);
        }
        group.version += 1;
        group.updated_at = now();
        tx.update_group(&group).await.map_err(unique_as(
            "name_taken",
            format!("a group named '{}' already exists here", group.name),
        ))?;
        let mut changed = serde_json::Map::new();
        if before.name != group.name {
            changed.insert(
                "name".into(),
                json!({"from": before.name, "to": group.name}),
            );
        }
        if before.description != group.description {
            changed.insert("description".into(), json!({"to": group.description}));
        }
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.update",
            Some(id),
            json!({"changed": changed}),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    /// Deletes a custom group; its members' accounts stay.
    pub async fn delete_group(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| self.delete_group_once(ctx, id, expected_version))
            .await
    }

    /// One attempt of [`Service::delete_group`].
    async fn delete_group_once(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let (group, _) = visible_group(tx.as_mut(), ctx, id).await?;
        check_version(expected_version, group.version)?;
        if group.is_predefined() {
            return Err(CoreError::conflict(
                "group_predefined",
                "a predefined group cannot be deleted",
            ));
        }
        tx.delete_group(id).await?;
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.delete",
            Some(id),
            json!({"name": group.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a user to a group (or changes the window of their membership).
    pub async fn add_member(
        &self,
        ctx: &Ctx,
        group: Id,
        user: Id,
        valid_from: Option<Timestamp>,
        valid_until: Option<Timestamp>,
    ) -> CoreResult<MemberView> {
        self.retrying(|| self.add_member_once(ctx, group, user, valid_from, valid_until))
            .await
    }

    /// One attempt of [`Service::add_member`].
    async fn add_member_once(
        &self,
        ctx: &Ctx,
        group: Id,
        user: Id,
        valid_from: Option<Timestamp>,
        valid_until: Option<Timestamp>,
    ) -> CoreResult<MemberView> {
        if let (Some(f), Some(u)) = (valid_from, valid_until) {
            if u <= f {
                return Err(CoreError::invalid(
                    "invalid_validity",
                    "valid_until",
                    "valid_until must be later than valid_from",
                ));
            }
        }
        let mut tx = self.write().await?;
        let (group, _) = visible_group(tx.as_mut(), ctx, group).await?;
        fixed_membership(&group)?;
        let (member, member_owner) = visible_user(tx.as_mut(), ctx, user)
            .await
            .map_err(|_| CoreError::invalid("unknown_user", "user", "user does not exist"))?;
        check_member_allowed(tx.as_mut(), ctx, &group, &member_owner).await?;
        let m = Membership {
            group: group.id,
            user: member.id,
            tenant: group.tenant,
            valid_from,
            valid_until,
            created_at: now(),
        };
        tx.upsert_membership(&m).await?;
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.member_add",
            Some(group.id),
            json!({"user": member.id, "valid_from": valid_from, "valid_until": valid_until}),
        )
        .await?;
        tx.commit().await?;
        Ok(MemberView {
            user: member,
            valid_from,
            valid_until,
        })
    }

    /// Removes a user from a group; their account stays.
    pub async fn remove_member(&self, ctx: &Ctx, group: Id, user: Id) -> CoreResult<()> {
        self.retrying(|| self.remove_member_once(ctx, group, user))
            .await
    }

    /// One attempt of [`Service::remove_member`].
    async fn remove_member_once(&self, ctx: &Ctx, group: Id, user: Id) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let (group, _) = visible_group(tx.as_mut(), ctx, group).await?;
        fixed_membership(&group)?;
        if ctx.actor.is(user) && group.kind == GroupKind::Administrators && !ctx.actor.system_admin
        {
            return Err(CoreError::conflict(
                "cannot_remove_own_admin",
                "you cannot remove yourself from an Administrators group",
            ));
        }
        if !tx.delete_membership(group.id, user).await? {
            return Err(CoreError::not_found("membership"));
        }
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.member_remove",
            Some(group.id),
            json!({"user": user}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of a group's members; for `All`, every user of the tenant.
    pub async fn list_members(
        &self,
        ctx: &Ctx,
        group: Id,
        page: PageReq,
    ) -> CoreResult<Page<MemberView>> {
        let mut tx = self.read().await?;
        let (group, _) = visible_group(tx.as_mut(), ctx, group).await?;
        if group.kind == GroupKind::All {
            let rows = tx
                .list_users(
                    TenantScope::Tenant(group.tenant),
                    &UserQuery::default(),
                    page.probe(),
                )
                .await?;
            return Ok(page.finish(rows, |u| u.id).map(|user| MemberView {
                user,
                valid_from: None,
                valid_until: None,
            }));
        }
        let rows = tx.list_memberships(group.id, page.probe()).await?;
        let page = page.finish(rows, |m| m.user);
        let mut items = Vec::with_capacity(page.items.len());
        for m in page.items {
            if let Some(user) = tx
                .get_user(TenantScope::Tenant(group.tenant), m.user)
                .await?
            {
                items.push(MemberView {
                    user,
                    valid_from: m.valid_from,
                    valid_until: m.valid_until,
                });
            }
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }
}

fn fixed_membership(group: &Group) -> CoreResult<()> {
    if group.kind == GroupKind::All {
        Err(CoreError::conflict(
            "group_membership_fixed",
            "the All group holds every user of the tenant; its members cannot be edited",
        ))
    } else {
        Ok(())
    }
}

/// The group `id` and its owner node, if the caller administers the owner.
async fn visible_group(tx: &mut dyn StoreTx, ctx: &Ctx, id: Id) -> CoreResult<(Group, OrgNode)> {
    let group = tx
        .get_group(ctx.actor.scope(), id)
        .await?
        .ok_or_else(|| CoreError::not_found("group"))?;
    let owner = tx
        .get_org_node(TenantScope::All, group.owner)
        .await?
        .ok_or_else(|| CoreError::Internal(format!("group {id} has no owner node")))?;
    if ctx.actor.administers(&owner) {
        Ok((group, owner))
    } else {
        Err(CoreError::not_found("group"))
    }
}

/// Whether a user owned by `member_owner` may join `group`, and the caller may add them.
pub(super) async fn check_member_allowed(
    tx: &mut dyn StoreTx,
    ctx: &Ctx,
    group: &Group,
    member_owner: &OrgNode,
) -> CoreResult<()> {
    fixed_membership(group)?;
    if !member_owner.is_within(group.owner) {
        return Err(CoreError::invalid(
            "member_outside_group_owner",
            "user",
            format!(
                "group '{}' may only hold users of its owner or below it",
                group.name
            ),
        ));
    }
    let group_owner = tx
        .get_org_node(TenantScope::All, group.owner)
        .await?
        .ok_or_else(|| CoreError::not_found("group"))?;
    if !ctx.actor.administers(&group_owner) {
        return Err(CoreError::invalid(
            "unknown_group",
            "groups",
            format!("group {} does not exist", group.id),
        ));
    }
    Ok(())
}
