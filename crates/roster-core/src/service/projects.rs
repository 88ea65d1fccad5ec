//! Projects: workspaces with members, project-level groups and attached org-level groups,
//! and the exclusive rule (a user in at most one of a project's groups).

use super::authorize::Visible;
use super::{audit, check_version, unique_as, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, Timestamp};
use crate::lists::{all_members, groups_of_project};
use crate::model::{
    AccessChange, AccessKind, Group, GroupLevel, OwnedQuery, Project, ResourceQuery, User,
};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;
use std::collections::hash_map::{Entry, HashMap};

/// The most users [`Service::project_group_memberships`] answers about at once.
pub const MAX_USERS_ASKED: usize = 200;

/// What an administrator fills in to create a project.
#[derive(Debug, Clone)]
pub struct CreateProject {
    /// Name, unique per owner.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Owning tenant or customer.
    pub owner: Id,
    /// Whether a user may be in at most one of its groups (default true).
    pub exclusive: Option<bool>,
}

/// A partial change to a project.
#[derive(Debug, Clone, Default)]
pub struct UpdateProject {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New exclusivity.
    pub exclusive: Option<bool>,
}

/// A project member as listed.
#[derive(Debug, Clone)]
pub struct ProjectMember {
    /// The member.
    pub user: User,
    /// Since when.
    pub since: Timestamp,
}

/// What attaching a group to a project did.
#[derive(Debug, Clone)]
pub struct Attached {
    /// Users who became project members through it.
    pub members_added: Vec<Id>,
}

impl Service {
    /// Creates a project owned by a node where the caller has `project:create`.
    pub async fn create_project(&self, ctx: &Ctx, input: CreateProject) -> CoreResult<Project> {
        self.retrying(|| async {
            let name = validate::name("name", &input.name)?;
            let description = validate::description(input.description.as_deref().unwrap_or(""))?;
            let mut tx = self.write().await?;
            let owner = self
                .node_where(tx.as_mut(), ctx, input.owner, "owner", "project", "create")
                .await?;
            let at = now();
            let p = Project {
                id: new_id(),
                tenant: owner.tenant,
                owner: owner.id,
                name,
                description,
                exclusive: input.exclusive.unwrap_or(true),
                version: 1,
                created_at: at,
                updated_at: at,
            };
            tx.insert_project(&p).await.map_err(unique_as(
                "name_taken",
                format!("a project named '{}' already exists here", p.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.create",
                Some(p.id),
                json!({"name": p.name, "owner": p.owner, "exclusive": p.exclusive}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Project, p.id)])
                .await?;
            Ok(p)
        })
        .await
    }

    /// One project the caller may read.
    pub async fn get_project(&self, ctx: &Ctx, id: Id) -> CoreResult<Project> {
        let mut tx = self.read().await?;
        self.visible_project(tx.as_mut(), ctx, id).await
    }

    /// Projects the caller may read, a page at a time.
    pub async fn list_projects(
        &self,
        ctx: &Ctx,
        owner: Option<Id>,
        q: Option<&str>,
        page: PageReq,
    ) -> CoreResult<Page<Project>> {
        let mut tx = self.read().await?;
        let mut query = OwnedQuery {
            owner,
            name_prefix: validate::prefix(q)?,
            ..OwnedQuery::default()
        };
        match self.visible_owners(tx.as_mut(), ctx, "project").await? {
            Visible::Everything => {}
            Visible::Owners(owners) => query.owner_in = Some(owners),
            Visible::Nothing => return Ok(page.finish(Vec::new(), |p: &Project| p.id)),
        }
        let rows = tx
            .list_projects(ctx.actor.scope(), &query, page.probe())
            .await?;
        Ok(page.finish(rows, |p| p.id))
    }

    /// Renames, describes, or changes the exclusivity of a project (`project:update`).
    /// Making a project exclusive is refused while a user is in two of its groups.
    pub async fn update_project(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateProject,
        expected_version: Option<i64>,
    ) -> CoreResult<Project> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let mut p = self.visible_project(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "project", "update", p.id)?;
            check_version(expected_version, p.version)?;
            let before = p.clone();
            if let Some(n) = &change.name {
                p.name = validate::name("name", n)?;
            }
            if let Some(d) = &change.description {
                p.description = validate::description(d)?;
            }
            if let Some(e) = change.exclusive {
                if e && !p.exclusive {
                    self.refuse_shared_members(tx.as_mut(), &p).await?;
                }
                p.exclusive = e;
            }
            if p == before {
                return Ok(p);
            }
            p.version += 1;
            p.updated_at = now();
            tx.update_project(&p).await.map_err(unique_as(
                "name_taken",
                format!("a project named '{}' already exists here", p.name),
            ))?;
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.update",
                Some(p.id),
                json!({"name": p.name, "exclusive": {"from": before.exclusive, "to": p.exclusive}}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Project, p.id)])
                .await?;
            Ok(p)
        })
        .await
    }

    /// Deletes a project that holds no project-level groups or resources any more
    /// (`project:delete`); members, attachments and grants on it go.
    pub async fn delete_project(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let p = self.visible_project(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "project", "delete", p.id)?;
            check_version(expected_version, p.version)?;
            let own_groups = groups_of_project(tx.as_mut(), id).await?.len()
                > tx.attached_groups(id).await?.len();
            let resources = ResourceQuery {
                owner: Some(id),
                ..ResourceQuery::default()
            };
            let has_resources = !tx
                .list_resources(
                    TenantScope::All,
                    &resources,
                    PageReq {
                        after: None,
                        limit: 1,
                    },
                )
                .await?
                .is_empty();
            if own_groups || has_resources {
                return Err(CoreError::conflict(
                    "not_empty",
                    "the project still has its own groups or resources; delete them first",
                ));
            }
            tx.delete_project(id).await?;
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.delete",
                Some(id),
                json!({"name": p.name}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Project, id)])
                .await
        })
        .await
    }

    /// Attaches an org-level group of the project's tenant to the project ("add existing
    /// system level user group"): its members become project members. In an exclusive
    /// project, a member already in another of its groups is a conflict naming that group.
    pub async fn attach_group(&self, ctx: &Ctx, project: Id, group: Id) -> CoreResult<Attached> {
        self.retrying(|| self.attach_group_once(ctx, project, group))
            .await
    }

    async fn attach_group_once(&self, ctx: &Ctx, project: Id, group: Id) -> CoreResult<Attached> {
        let mut tx = self.write().await?;
        let p = self.visible_project(tx.as_mut(), ctx, project).await?;
        self.require(ctx, "project", "update", p.id)?;
        let g = tx
            .get_group(TenantScope::Tenant(p.tenant), group)
            .await?
            .filter(|g| self.may(ctx, "group", "read", g.id))
            .ok_or_else(|| CoreError::invalid("unknown_group", "group", "group does not exist"))?;
        if g.level != GroupLevel::Org || g.is_predefined() {
            return Err(CoreError::invalid(
                "not_attachable",
                "group",
                "only a custom org-level group can be attached to a project",
            ));
        }
        let members = all_members(tx.as_mut(), g.id).await?;
        if p.exclusive {
            let others = groups_of_project(tx.as_mut(), p.id).await?;
            for other in others.iter().filter(|o| **o != g.id) {
                for u in &members {
                    if tx.get_membership(*other, *u).await?.is_some() {
                        let name = group_name(tx.as_mut(), *other).await?;
                        return Err(exclusive_conflict(&p, *other, &name, Some(*u)));
                    }
                }
            }
        }
        if !tx.attach_group(p.id, g.id, now()).await? {
            return Ok(Attached {
                members_added: Vec::new(),
            });
        }
        let at = now();
        let mut members_added = Vec::new();
        for u in members {
            if tx.add_project_member(p.id, u, at).await? {
                members_added.push(u);
            }
        }
        audit(
            tx.as_mut(),
            ctx,
            p.tenant,
            "project.group_attach",
            Some(p.id),
            json!({"group": g.id, "members_added": members_added.len()}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::Project, p.id)])
            .await?;
        Ok(Attached { members_added })
    }

    /// Detaches an org-level group from each of `projects`: the group's grants in each go, and
    /// its members leave each project unless another of the project's groups holds them.
    pub async fn detach_group(&self, ctx: &Ctx, projects: &[Id], group: Id) -> CoreResult<()> {
        self.retrying(|| self.detach_group_once(ctx, projects, group))
            .await
    }

    async fn detach_group_once(&self, ctx: &Ctx, projects: &[Id], group: Id) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let mut changes = Vec::new();
        for project in projects {
            let p = self.visible_project(tx.as_mut(), ctx, *project).await?;
            self.require(ctx, "project", "update", p.id)?;
            let Some(detached) = detach_in(tx.as_mut(), p.id, group).await? else {
                return Err(CoreError::not_found("attached group"));
            };
            changes.extend(
                detached
                    .grants
                    .iter()
                    .map(|g| AccessChange::new(AccessKind::Grant, *g)),
            );
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.group_detach",
                Some(p.id),
                json!({"group": group, "members_removed": detached.members_removed}),
            )
            .await?;
            changes.push(AccessChange::new(AccessKind::Project, p.id));
        }
        self.commit_access(tx, &changes).await
    }

    /// The org-level groups attached to a project the caller may read, by name (the
    /// console's "system level user groups" of a project).
    pub async fn attached_groups(&self, ctx: &Ctx, project: Id) -> CoreResult<Vec<Group>> {
        let mut tx = self.read().await?;
        let p = self.visible_project(tx.as_mut(), ctx, project).await?;
        let mut groups = Vec::new();
        for g in tx.attached_groups(p.id).await? {
            if let Some(group) = tx.get_group(TenantScope::Tenant(p.tenant), g).await? {
                if self.may(ctx, "group", "read", group.id) {
                    groups.push(group);
                }
            }
        }
        groups.sort_by_key(|g| g.name.to_lowercase());
        Ok(groups)
    }

    /// The projects a group gives rights in and brings its members into: a project-level
    /// group's own project, or the projects an org-level group is attached to; those the
    /// caller may read, by name.
    pub async fn group_projects(&self, ctx: &Ctx, group: Id) -> CoreResult<Vec<Project>> {
        let mut tx = self.read().await?;
        let g = self.visible_group(tx.as_mut(), ctx, group).await?;
        let ids = match g.level {
            GroupLevel::Project => vec![g.owner],
            GroupLevel::Org => tx.projects_of_group(g.id).await?,
        };
        let mut projects = Vec::new();
        for id in ids {
            if let Some(p) = tx.get_project(TenantScope::Tenant(g.tenant), id).await? {
                if self.may(ctx, "project", "read", p.id) {
                    projects.push(p);
                }
            }
        }
        projects.sort_by_key(|p| p.name.to_lowercase());
        Ok(projects)
    }

    /// For each of `users`, the groups of `project` (that the caller may read) they are an
    /// explicit member of: what an exclusive project's "already in a group" column shows. At
    /// most [`MAX_USERS_ASKED`] users at once (a page of a picker).
    pub async fn project_group_memberships(
        &self,
        ctx: &Ctx,
        project: Id,
        users: &[Id],
    ) -> CoreResult<Vec<(Id, Group)>> {
        if users.len() > MAX_USERS_ASKED {
            return Err(CoreError::invalid(
                "too_many_users",
                "users",
                format!("ask about at most {MAX_USERS_ASKED} users at once"),
            ));
        }
        let mut tx = self.read().await?;
        let p = self.visible_project(tx.as_mut(), ctx, project).await?;
        let groups = groups_of_project(tx.as_mut(), p.id).await?;
        let mut names: HashMap<Id, Group> = HashMap::new();
        let mut out = Vec::new();
        for user in users {
            for m in tx.memberships_of_user(*user).await? {
                if !groups.contains(&m.group) {
                    continue;
                }
                if let Entry::Vacant(slot) = names.entry(m.group) {
                    let group = tx.get_group(TenantScope::Tenant(p.tenant), m.group).await?;
                    if let Some(g) = group.filter(|g| self.may(ctx, "group", "read", g.id)) {
                        slot.insert(g);
                    }
                }
                if let Some(g) = names.get(&m.group) {
                    out.push((*user, g.clone()));
                }
            }
        }
        Ok(out)
    }

    /// A page of a project's members.
    pub async fn list_project_members(
        &self,
        ctx: &Ctx,
        project: Id,
        page: PageReq,
    ) -> CoreResult<Page<ProjectMember>> {
        let mut tx = self.read().await?;
        let p = self.visible_project(tx.as_mut(), ctx, project).await?;
        let rows = tx.list_project_members(p.id, page.probe()).await?;
        let page = page.finish(rows, |(u, _)| *u);
        let mut items = Vec::with_capacity(page.items.len());
        for (u, since) in page.items {
            if let Some(user) = tx.get_user(TenantScope::Tenant(p.tenant), u).await? {
                items.push(ProjectMember { user, since });
            }
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Makes a user of the project's owner subtree a member (`project:update`).
    pub async fn add_project_member(&self, ctx: &Ctx, project: Id, user: Id) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let p = self.visible_project(tx.as_mut(), ctx, project).await?;
            self.require(ctx, "project", "update", p.id)?;
            let (u, owner) = self
                .visible_user(tx.as_mut(), ctx, user)
                .await
                .map_err(|_| CoreError::invalid("unknown_user", "user", "user does not exist"))?;
            if !owner.is_within(p.owner) {
                return Err(CoreError::invalid(
                    "member_outside_project_owner",
                    "user",
                    "a project holds users of its owner or below it",
                ));
            }
            tx.add_project_member(p.id, u.id, now()).await?;
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.member_add",
                Some(p.id),
                json!({"user": u.id}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Removes a user from a project and from its project-level groups (`project:update`).
    pub async fn remove_project_member(&self, ctx: &Ctx, project: Id, user: Id) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let p = self.visible_project(tx.as_mut(), ctx, project).await?;
            self.require(ctx, "project", "update", p.id)?;
            if !tx.remove_project_member(p.id, user).await? {
                return Err(CoreError::not_found("project member"));
            }
            let attached = tx.attached_groups(p.id).await?;
            for g in groups_of_project(tx.as_mut(), p.id).await? {
                if !attached.contains(&g) {
                    tx.delete_membership(g, user).await?;
                }
            }
            audit(
                tx.as_mut(),
                ctx,
                p.tenant,
                "project.member_remove",
                Some(p.id),
                json!({"user": user}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::User, user)])
                .await
        })
        .await
    }

    /// Refuses while some user is in two of the project's groups.
    async fn refuse_shared_members(&self, tx: &mut dyn StoreTx, p: &Project) -> CoreResult<()> {
        let mut seen: HashMap<Id, Id> = HashMap::new();
        for g in groups_of_project(tx, p.id).await? {
            for u in all_members(tx, g).await? {
                if let Some(first) = seen.insert(u, g) {
                    let name = group_name(tx, first).await?;
                    return Err(exclusive_conflict(p, first, &name, Some(u)));
                }
            }
        }
        Ok(())
    }

    pub(super) async fn visible_project(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<Project> {
        tx.get_project(ctx.actor.scope(), id)
            .await?
            .filter(|p| self.may(ctx, "project", "read", p.id))
            .ok_or_else(|| CoreError::not_found("project"))
    }
}

async fn group_name(tx: &mut dyn StoreTx, group: Id) -> CoreResult<String> {
    Ok(tx
        .get_group(TenantScope::All, group)
        .await?
        .map(|g| g.name)
        .unwrap_or_default())
}

/// The conflict of a second group in an exclusive project, naming the group the user is in.
pub(super) fn exclusive_conflict(
    p: &Project,
    group: Id,
    name: &str,
    user: Option<Id>,
) -> CoreError {
    CoreError::Conflict {
        code: "exclusive_group_conflict",
        message: format!(
            "project '{}' is exclusive and the user is already in its group '{name}'",
            p.name
        ),
        details: Some(json!({"project": p.id, "group": group, "group_name": name, "user": user})),
    }
}

/// What taking an org-level group out of a project did.
pub(super) struct Detached {
    /// The group's grants held on the project, now gone.
    pub grants: Vec<Id>,
    /// How many of its members left the project.
    pub members_removed: usize,
}

/// Takes org-level group `group` out of `project` inside `tx`: its grants held on the
/// project go, and its members leave the project unless another of the project's groups
/// holds them. `None` when the group was not attached.
pub(super) async fn detach_in(
    tx: &mut dyn StoreTx,
    project: Id,
    group: Id,
) -> CoreResult<Option<Detached>> {
    if !tx.detach_group(project, group).await? {
        return Ok(None);
    }
    let grants = tx.delete_grants_between(group, project).await?;
    let remaining = groups_of_project(tx, project).await?;
    let mut members_removed = 0;
    for u in all_members(tx, group).await? {
        let mut elsewhere = false;
        for other in &remaining {
            if tx.get_membership(*other, u).await?.is_some() {
                elsewhere = true;
                break;
            }
        }
        if !elsewhere && tx.remove_project_member(project, u).await? {
            members_removed += 1;
        }
    }
    Ok(Some(Detached {
        grants,
        members_removed,
    }))
}
