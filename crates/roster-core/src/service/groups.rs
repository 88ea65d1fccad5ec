//! Groups and their members.

use super::authorize::Visible;
use super::projects::{detach_in, exclusive_conflict};
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, Timestamp};
use crate::lists::{all_members, grants_of_subject, groups_of_project};
use crate::model::{
    AccessChange, AccessKind, Group, GroupKind, GroupLevel, GroupQuery, Membership, OrgNode, User,
    UserQuery,
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
    /// Owning tenant or customer, or a project for a project-level group.
    pub owner: Id,
}

/// What happens to a project-level group's members when it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteMembers {
    /// They stay members of the project, with no rights from the group.
    #[default]
    Keep,
    /// They are removed from the project too.
    Remove,
}

/// A new membership and the projects it made the user a member of.
#[derive(Debug, Clone)]
pub struct Joined {
    /// The membership as listed.
    pub member: MemberView,
    /// Projects the user became a member of through this group.
    pub projects_joined: Vec<Id>,
}

/// A partial change to a group.
#[derive(Debug, Clone, Default)]
pub struct UpdateGroup {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// The level, which is fixed: naming another one is refused.
    pub level: Option<GroupLevel>,
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
    /// Creates a custom group owned by an org node, or by a project (a project-level group),
    /// where the caller has `group:create`.
    pub async fn create_group(&self, ctx: &Ctx, input: CreateGroup) -> CoreResult<Group> {
        self.retrying(|| self.create_group_once(ctx, &input)).await
    }

    /// One attempt of [`Service::create_group`].
    async fn create_group_once(&self, ctx: &Ctx, input: &CreateGroup) -> CoreResult<Group> {
        let name = validate::name("name", &input.name)?;
        let description = validate::description(input.description.as_deref().unwrap_or(""))?;
        let mut tx = self.write().await?;
        let (tenant, in_project) = self
            .owner_where(tx.as_mut(), ctx, input.owner, "owner", "group", "create")
            .await?;
        let level = if in_project {
            GroupLevel::Project
        } else {
            GroupLevel::Org
        };
        let at = now();
        let group = Group {
            id: new_id(),
            tenant,
            owner: input.owner,
            name,
            description,
            level,
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
            json!({"name": group.name, "owner": group.owner, "level": group.level}),
        )
        .await?;
        let mut changes = vec![AccessChange::new(AccessKind::Group, group.id)];
        if level == GroupLevel::Project {
            changes.push(AccessChange::new(AccessKind::Project, group.owner));
        }
        self.commit_access(tx, &changes).await?;
        Ok(group)
    }

    /// One group the caller administers.
    pub async fn get_group(&self, ctx: &Ctx, id: Id) -> CoreResult<Group> {
        let mut tx = self.read().await?;
        self.visible_group(tx.as_mut(), ctx, id).await
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
        if !own_groups {
            match self
                .visible_owners_or_projects(tx.as_mut(), ctx, "group")
                .await?
            {
                Visible::Everything => {}
                Visible::Owners(owners) => query.owner_in = Some(owners),
                Visible::Nothing => return Ok(page.finish(Vec::new(), |g: &Group| g.id)),
            }
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
        let mut group = self.visible_group(tx.as_mut(), ctx, id).await?;
        self.require(ctx, "group", "update", group.id)?;
        check_version(expected_version, group.version)?;
        if change.level.is_some_and(|l| l != group.level) {
            return Err(CoreError::conflict(
                "level_fixed",
                "a group's level (org or project) is fixed when it is created",
            ));
        }
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

    /// Deletes a custom group with its grants; its members' accounts stay. For a
    /// project-level group, `members` says whether they stay in the project; an org-level
    /// group is first detached from the projects it is attached to, so its members leave
    /// them as [`Service::detach_group`] says.
    pub async fn delete_group(
        &self,
        ctx: &Ctx,
        id: Id,
        members: DeleteMembers,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| self.delete_group_once(ctx, id, members, expected_version))
            .await
    }

    /// One attempt of [`Service::delete_group`].
    async fn delete_group_once(
        &self,
        ctx: &Ctx,
        id: Id,
        members: DeleteMembers,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let group = self.visible_group(tx.as_mut(), ctx, id).await?;
        self.require(ctx, "group", "delete", group.id)?;
        check_version(expected_version, group.version)?;
        if group.is_predefined() {
            return Err(CoreError::conflict(
                "group_predefined",
                "a predefined group cannot be deleted",
            ));
        }
        let mut changes = vec![AccessChange::new(AccessKind::Group, id)];
        let mut removed_from_project = Vec::new();
        if group.level == GroupLevel::Project {
            changes.push(AccessChange::new(AccessKind::Project, group.owner));
            if members == DeleteMembers::Remove {
                for user in all_members(tx.as_mut(), id).await? {
                    if tx.remove_project_member(group.owner, user).await? {
                        removed_from_project.push(user);
                    }
                }
            }
        }
        let mut left_projects = serde_json::Map::new();
        for p in tx.projects_of_group(id).await? {
            if let Some(detached) = detach_in(tx.as_mut(), p, id).await? {
                left_projects.insert(p.to_string(), json!(detached.members_removed));
            }
            changes.push(AccessChange::new(AccessKind::Project, p));
        }
        tx.delete_group(id).await?;
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.delete",
            Some(id),
            json!({"name": group.name, "members": match members {
                DeleteMembers::Keep => "keep",
                DeleteMembers::Remove => "remove",
            }, "removed_from_project": removed_from_project,
                   "left_projects": left_projects}),
        )
        .await?;
        self.commit_access(tx, &changes).await?;
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
    ) -> CoreResult<Joined> {
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
    ) -> CoreResult<Joined> {
        super::grants::check_window(valid_from, valid_until)?;
        let mut tx = self.write().await?;
        let group = self.visible_group(tx.as_mut(), ctx, group).await?;
        fixed_membership(&group)?;
        let (member, member_owner) = self
            .visible_user(tx.as_mut(), ctx, user)
            .await
            .map_err(|_| CoreError::invalid("unknown_user", "user", "user does not exist"))?;
        self.check_member_allowed(tx.as_mut(), ctx, &group, &member_owner)
            .await?;
        let m = Membership {
            group: group.id,
            user: member.id,
            tenant: group.tenant,
            valid_from,
            valid_until,
            created_at: now(),
        };
        let projects_joined = self.join_group(tx.as_mut(), &group, &m).await?;
        audit(
            tx.as_mut(),
            ctx,
            group.tenant,
            "group.member_add",
            Some(group.id),
            json!({"user": member.id, "valid_from": valid_from, "valid_until": valid_until,
                   "projects_joined": projects_joined}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, member.id)])
            .await?;
        Ok(Joined {
            member: MemberView {
                user: member,
                valid_from,
                valid_until,
            },
            projects_joined,
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
        let group = self.visible_group(tx.as_mut(), ctx, group).await?;
        self.require(ctx, "group", "update", group.id)?;
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
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, user)])
            .await?;
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
        let group = self.visible_group(tx.as_mut(), ctx, group).await?;
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

impl Service {
    /// The group `id`, if the caller may read it; otherwise "not found".
    pub(super) async fn visible_group(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<Group> {
        tx.get_group(ctx.actor.scope(), id)
            .await?
            .filter(|g| self.may(ctx, "group", "read", g.id))
            .ok_or_else(|| CoreError::not_found("group"))
    }

    /// The org node whose subtree a group's members must come from: its owner, or its
    /// project's owner.
    async fn member_root(&self, tx: &mut dyn StoreTx, group: &Group) -> CoreResult<Id> {
        if group.level == GroupLevel::Project {
            let p = tx
                .get_project(TenantScope::All, group.owner)
                .await?
                .ok_or_else(|| CoreError::Internal(format!("group {} has no project", group.id)))?;
            Ok(p.owner)
        } else {
            Ok(group.owner)
        }
    }

    /// Whether a user owned by `member_owner` may join `group`, and the caller may add them:
    /// `group:update` on the group, and every right the group carries (no escalation).
    pub(super) async fn check_member_allowed(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        group: &Group,
        member_owner: &OrgNode,
    ) -> CoreResult<()> {
        fixed_membership(group)?;
        if !self.may(ctx, "group", "update", group.id) {
            return Err(CoreError::invalid(
                "unknown_group",
                "groups",
                format!("group {} does not exist", group.id),
            ));
        }
        let root = self.member_root(tx, group).await?;
        if !member_owner.is_within(root) {
            return Err(CoreError::invalid(
                "member_outside_group_owner",
                "user",
                format!(
                    "group '{}' may only hold users of its owner or below it",
                    group.name
                ),
            ));
        }
        let carried = grants_of_subject(tx, group.id).await?;
        self.require_holds_all(ctx, &carried)
    }

    /// Writes membership `m` of `group` and makes the user a member of every project the group
    /// belongs to (its own project, or those it is attached to). In an exclusive project the
    /// user may be in one group only: a membership of another of its groups is a conflict
    /// naming that group. Returns the projects the user newly joined.
    pub(super) async fn join_group(
        &self,
        tx: &mut dyn StoreTx,
        group: &Group,
        m: &Membership,
    ) -> CoreResult<Vec<Id>> {
        let mut projects = tx.projects_of_group(group.id).await?;
        if group.level == GroupLevel::Project {
            projects.push(group.owner);
        }
        for p in &projects {
            let Some(project) = tx.get_project(TenantScope::All, *p).await? else {
                continue;
            };
            if !project.exclusive {
                continue;
            }
            for other in groups_of_project(tx, *p).await? {
                if other != group.id && tx.get_membership(other, m.user).await?.is_some() {
                    let name = tx
                        .get_group(TenantScope::All, other)
                        .await?
                        .map(|g| g.name)
                        .unwrap_or_default();
                    return Err(exclusive_conflict(&project, other, &name, Some(m.user)));
                }
            }
        }
        tx.upsert_membership(m).await?;
        let mut joined = Vec::new();
        for p in projects {
            if tx.add_project_member(p, m.user, m.created_at).await? {
                joined.push(p);
            }
        }
        Ok(joined)
    }
}
