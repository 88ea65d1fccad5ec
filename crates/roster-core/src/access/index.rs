//! The in-memory access index: every fact a decision needs, keyed for lookups that cost a few
//! hash probes. Built from an [`AccessSnapshot`]; kept current by applying [`Facts`] reloaded
//! for each object the access change log names.

use super::builtin::builtin_roles;
use super::permission::Permission;
use crate::ids::{Id, Timestamp};
use crate::model::{
    AccessSnapshot, AccessUser, Effect, Grant, Group, GroupKind, Membership, OrgNode, Project,
    Resource, ResourceGroup, Role,
};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// Microseconds since the Unix epoch: how the index keeps times, for cheap comparisons.
pub(crate) type Micros = i64;

/// A short list of ids, inline up to two: most subjects hold grants on one or two scopes and
/// most scopes have one or two subjects, so a decision reads the list without a second memory
/// access.
pub(crate) type IdList = SmallVec<[Id; 2]>;

/// A user's explicit memberships with their windows, inline up to four (read by every
/// decision).
pub(crate) type Memberships = SmallVec<[(Id, Window); 4]>;

/// A validity window `[from, until)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: Micros,
    pub(crate) until: Micros,
}

impl Window {
    fn new(from: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        Window {
            from: from.map_or(Micros::MIN, |t| t.timestamp_micros()),
            until: until.map_or(Micros::MAX, |t| t.timestamp_micros()),
        }
    }

    /// Whether the window holds at `at`.
    pub(crate) fn holds(self, at: Micros) -> bool {
        self.from <= at && at < self.until
    }
}

/// An org node: its tenant and the ids from the root down to it.
#[derive(Debug, Clone)]
pub(crate) struct NodeEntry {
    pub(crate) tenant: Id,
    pub(crate) path: Box<[Id]>,
    pub(crate) kind: crate::model::OrgKind,
}

/// A user: whether they can hold rights, where they live, and their explicit memberships.
#[derive(Debug, Clone)]
pub(crate) struct UserEntry {
    pub(crate) tenant: Id,
    pub(crate) owner: Id,
    pub(crate) active: bool,
    pub(crate) groups: Memberships,
}

/// A group: its owner (org node or project) and kind.
#[derive(Debug, Clone)]
pub(crate) struct GroupEntry {
    pub(crate) tenant: Id,
    pub(crate) owner: Id,
    pub(crate) kind: GroupKind,
}

/// A project: owner, exclusivity, and its groups (project-level and attached).
#[derive(Debug, Clone)]
pub(crate) struct ProjectEntry {
    pub(crate) tenant: Id,
    pub(crate) owner: Id,
    pub(crate) exclusive: bool,
    pub(crate) groups: Vec<Id>,
}

/// A resource: type, owner and the resource groups it is in.
#[derive(Debug, Clone)]
pub(crate) struct ResourceEntry {
    pub(crate) tenant: Id,
    pub(crate) owner: Id,
    pub(crate) rtype: Box<str>,
    pub(crate) groups: Vec<Id>,
}

/// A resource group: its owner.
#[derive(Debug, Clone)]
pub(crate) struct OwnedEntry {
    pub(crate) tenant: Id,
    pub(crate) owner: Id,
}

/// A role: name and parsed permissions.
#[derive(Debug, Clone)]
pub(crate) struct RoleEntry {
    pub(crate) name: Box<str>,
    pub(crate) owner: Id,
    pub(crate) permissions: Box<[Permission]>,
}

/// A grant as decisions read it.
#[derive(Debug, Clone)]
pub(crate) struct GrantEntry {
    pub(crate) id: Id,
    pub(crate) scope: Id,
    pub(crate) effect: Effect,
    pub(crate) role: Option<Id>,
    pub(crate) permissions: Box<[Permission]>,
    pub(crate) window: Window,
}

/// One object's access facts, as reloaded from the store after a change; `None` when the
/// object is gone.
#[derive(Debug, Clone)]
pub enum Facts {
    /// An org node.
    Node(Id, Option<OrgNode>),
    /// A user and their explicit memberships.
    User(Id, Option<(AccessUser, Vec<Membership>)>),
    /// A group.
    Group(Id, Option<Group>),
    /// A project and every group of it (project-level and attached).
    Project(Id, Option<(Project, Vec<Id>)>),
    /// A resource and the resource groups it is in.
    Resource(Id, Option<(Resource, Vec<Id>)>),
    /// A resource group.
    ResourceGroup(Id, Option<ResourceGroup>),
    /// A custom role.
    Role(Id, Option<Role>),
    /// A grant.
    Grant(Id, Option<Grant>),
}

/// The access index. Reads are lock-free within one borrow; the engine guards it with a
/// read-write lock and applies changes under the write side.
#[derive(Debug, Default)]
pub struct AccessIndex {
    pub(crate) version: i64,
    pub(crate) nodes: FxHashMap<Id, NodeEntry>,
    pub(crate) users: FxHashMap<Id, UserEntry>,
    pub(crate) groups: FxHashMap<Id, GroupEntry>,
    /// Each tenant's implicit `All` group.
    pub(crate) all_groups: FxHashMap<Id, Id>,
    pub(crate) projects: FxHashMap<Id, ProjectEntry>,
    pub(crate) resources: FxHashMap<Id, ResourceEntry>,
    pub(crate) resource_groups: FxHashMap<Id, OwnedEntry>,
    pub(crate) roles: FxHashMap<Id, RoleEntry>,
    /// Each subject's grants, per scope, sorted by scope: one lookup per subject is all a
    /// decision needs before it compares scopes with the target's chain.
    pub(crate) by_subject: FxHashMap<Id, Vec<ScopeGrants>>,
    /// The distinct subjects holding grants on each scope.
    pub(crate) scope_subjects: FxHashMap<Id, IdList>,
    /// Each grant's `(subject, scope)`.
    pub(crate) grant_pair: FxHashMap<Id, (Id, Id)>,
}

/// A subject's grants on one scope.
#[derive(Debug, Clone)]
pub(crate) struct ScopeGrants {
    pub(crate) scope: Id,
    pub(crate) grants: Vec<GrantEntry>,
}

/// The position of `scope` in a subject's list sorted by scope.
pub(crate) fn find_scope(list: &[ScopeGrants], scope: Id) -> Result<usize, usize> {
    list.binary_search_by_key(&scope, |s| s.scope)
}

fn parse_all(perms: &[String]) -> Box<[Permission]> {
    // Stored permissions were validated when written; one that no longer parses grants nothing.
    perms
        .iter()
        .filter_map(|p| Permission::parse(p).ok())
        .collect()
}

impl AccessIndex {
    /// An index holding exactly the snapshot's facts (and the built-in roles).
    pub fn build(snapshot: AccessSnapshot) -> Self {
        let mut ix = AccessIndex {
            version: snapshot.version,
            ..AccessIndex::default()
        };
        for role in builtin_roles() {
            ix.put_role(&role);
        }
        for n in &snapshot.nodes {
            ix.put_node(n);
        }
        for g in &snapshot.groups {
            ix.put_group(g);
        }
        let mut memberships: FxHashMap<Id, Memberships> = FxHashMap::default();
        for m in &snapshot.memberships {
            memberships
                .entry(m.user)
                .or_default()
                .push((m.group, Window::new(m.valid_from, m.valid_until)));
        }
        for u in &snapshot.users {
            let groups = memberships.remove(&u.id).unwrap_or_default();
            ix.put_user(u, groups);
        }
        let mut project_groups: FxHashMap<Id, Vec<Id>> = FxHashMap::default();
        for (project, group) in &snapshot.attachments {
            project_groups.entry(*project).or_default().push(*group);
        }
        for g in &snapshot.groups {
            if g.level == crate::model::GroupLevel::Project {
                project_groups.entry(g.owner).or_default().push(g.id);
            }
        }
        for p in &snapshot.projects {
            let groups = project_groups.remove(&p.id).unwrap_or_default();
            ix.put_project(p, groups);
        }
        let mut resource_groups: FxHashMap<Id, Vec<Id>> = FxHashMap::default();
        for (group, resource) in &snapshot.resource_group_members {
            resource_groups.entry(*resource).or_default().push(*group);
        }
        for r in &snapshot.resources {
            let groups = resource_groups.remove(&r.id).unwrap_or_default();
            ix.put_resource(r, groups);
        }
        for g in &snapshot.resource_groups {
            ix.put_resource_group(g);
        }
        for r in &snapshot.roles {
            ix.put_role(r);
        }
        for g in &snapshot.grants {
            ix.put_grant(g);
        }
        ix
    }

    /// The version of the access change log this index reflects.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// How many objects of each kind the index holds, for reports: users, groups, resources,
    /// grants.
    pub fn sizes(&self) -> IndexSizes {
        IndexSizes {
            users: self.users.len(),
            groups: self.groups.len(),
            resources: self.resources.len(),
            grants: self.grant_pair.len(),
        }
    }

    /// Applies reloaded facts and moves the index to `version`.
    pub fn apply(&mut self, facts: Vec<Facts>, version: i64) {
        for f in facts {
            match f {
                Facts::Node(id, Some(n)) => {
                    debug_assert_eq!(id, n.id);
                    self.put_node(&n)
                }
                Facts::Node(id, None) => {
                    self.nodes.remove(&id);
                    self.forget(id);
                }
                Facts::User(_, Some((u, ms))) => {
                    let groups = ms
                        .iter()
                        .map(|m| (m.group, Window::new(m.valid_from, m.valid_until)))
                        .collect();
                    self.put_user(&u, groups)
                }
                Facts::User(id, None) => {
                    self.users.remove(&id);
                    self.forget(id);
                }
                Facts::Group(_, Some(g)) => self.put_group(&g),
                Facts::Group(id, None) => {
                    if let Some(g) = self.groups.remove(&id) {
                        if g.kind == GroupKind::All {
                            self.all_groups.remove(&g.owner);
                        }
                    }
                    self.forget(id);
                }
                Facts::Project(_, Some((p, groups))) => self.put_project(&p, groups),
                Facts::Project(id, None) => {
                    self.projects.remove(&id);
                    self.forget(id);
                }
                Facts::Resource(_, Some((r, groups))) => self.put_resource(&r, groups),
                Facts::Resource(id, None) => {
                    self.resources.remove(&id);
                    self.forget(id);
                }
                Facts::ResourceGroup(_, Some(g)) => self.put_resource_group(&g),
                Facts::ResourceGroup(id, None) => {
                    self.resource_groups.remove(&id);
                    self.forget(id);
                }
                Facts::Role(_, Some(r)) => self.put_role(&r),
                Facts::Role(id, None) => {
                    self.roles.remove(&id);
                }
                Facts::Grant(id, Some(g)) => {
                    self.remove_grant(id);
                    self.put_grant(&g)
                }
                Facts::Grant(id, None) => self.remove_grant(id),
            }
        }
        self.version = version;
    }

    fn put_node(&mut self, n: &OrgNode) {
        self.nodes.insert(
            n.id,
            NodeEntry {
                tenant: n.tenant,
                path: n.path.clone().into_boxed_slice(),
                kind: n.kind,
            },
        );
    }

    fn put_user(&mut self, u: &AccessUser, groups: Memberships) {
        self.users.insert(
            u.id,
            UserEntry {
                tenant: u.tenant,
                owner: u.owner,
                active: u.active,
                groups,
            },
        );
    }

    fn put_group(&mut self, g: &Group) {
        if g.kind == GroupKind::All {
            self.all_groups.insert(g.tenant, g.id);
        }
        self.groups.insert(
            g.id,
            GroupEntry {
                tenant: g.tenant,
                owner: g.owner,
                kind: g.kind,
            },
        );
    }

    fn put_project(&mut self, p: &Project, groups: Vec<Id>) {
        self.projects.insert(
            p.id,
            ProjectEntry {
                tenant: p.tenant,
                owner: p.owner,
                exclusive: p.exclusive,
                groups,
            },
        );
    }

    fn put_resource(&mut self, r: &Resource, groups: Vec<Id>) {
        self.resources.insert(
            r.id,
            ResourceEntry {
                tenant: r.tenant,
                owner: r.owner,
                rtype: r.rtype.as_str().into(),
                groups,
            },
        );
    }

    fn put_resource_group(&mut self, g: &ResourceGroup) {
        self.resource_groups.insert(
            g.id,
            OwnedEntry {
                tenant: g.tenant,
                owner: g.owner,
            },
        );
    }

    fn put_role(&mut self, r: &Role) {
        self.roles.insert(
            r.id,
            RoleEntry {
                name: r.name.as_str().into(),
                owner: r.owner,
                permissions: parse_all(&r.permissions),
            },
        );
    }

    fn put_grant(&mut self, g: &Grant) {
        let entry = GrantEntry {
            id: g.id,
            scope: g.scope,
            effect: g.effect,
            role: g.role,
            permissions: parse_all(&g.permissions),
            window: Window::new(g.valid_from, g.valid_until),
        };
        let list = self.by_subject.entry(g.subject).or_default();
        match find_scope(list, g.scope) {
            Ok(i) => list[i].grants.push(entry),
            Err(i) => {
                list.insert(
                    i,
                    ScopeGrants {
                        scope: g.scope,
                        grants: vec![entry],
                    },
                );
                self.scope_subjects
                    .entry(g.scope)
                    .or_default()
                    .push(g.subject);
            }
        }
        self.grant_pair.insert(g.id, (g.subject, g.scope));
    }

    fn remove_grant(&mut self, id: Id) {
        let Some(pair) = self.grant_pair.remove(&id) else {
            return;
        };
        let (subject, scope) = pair;
        let Some(list) = self.by_subject.get_mut(&subject) else {
            return;
        };
        let Ok(i) = find_scope(list, scope) else {
            return;
        };
        list[i].grants.retain(|g| g.id != id);
        if list[i].grants.is_empty() {
            list.remove(i);
            if list.is_empty() {
                self.by_subject.remove(&subject);
            }
            remove_from(&mut self.scope_subjects, scope, subject);
        }
    }

    /// Drops every grant given to `id` or held on it: the object is gone.
    fn forget(&mut self, id: Id) {
        let mut gone: Vec<Id> = self
            .by_subject
            .get(&id)
            .into_iter()
            .flatten()
            .flat_map(|s| s.grants.iter().map(|g| g.id))
            .collect();
        for subject in self.scope_subjects.get(&id).into_iter().flatten() {
            if let Some(list) = self.by_subject.get(subject) {
                if let Ok(i) = find_scope(list, id) {
                    gone.extend(list[i].grants.iter().map(|g| g.id));
                }
            }
        }
        for g in gone {
            self.remove_grant(g);
        }
    }
}

fn remove_from(map: &mut FxHashMap<Id, IdList>, key: Id, value: Id) {
    if let Some(list) = map.get_mut(&key) {
        list.retain(|v| *v != value);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

/// How many objects of each kind an index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexSizes {
    /// Users.
    pub users: usize,
    /// Groups.
    pub groups: usize,
    /// Resources.
    pub resources: usize,
    /// Grants.
    pub grants: usize,
}
