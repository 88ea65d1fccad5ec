//! The in-memory access index: every fact a decision needs, in dense arrays.
//!
//! Every id the index meets (of any kind) is interned to a dense [`Handle`] at first sight;
//! the object's facts live in `slots[handle]`, one 64-byte, cache-line-aligned slot that also
//! holds the grants given to the object when it is a subject (a user or a group). References
//! between objects (owners, org paths, memberships, resource groups, scopes, roles) are
//! handles, so following one is an array read; type and action names are small integers
//! ([`Names`]). A decision costs one hash probe for the user, one for the target, and array
//! reads after that.
//!
//! Built from an [`AccessSnapshot`]; kept current by applying [`Facts`] reloaded for each
//! object the access change log names. A handle stays bound to its id for the index's life:
//! a deleted object leaves a tombstone (an [`Object::Absent`] slot, its grants dropped) that
//! comes back to life if the id is seen again, and new objects take new handles at the end.
//! Grant slots are reused through a free list. When tombstones make up a quarter of the
//! slots ([`AccessIndex::is_sparse`]), the engine rebuilds the index from a snapshot.

use super::builtin::builtin_roles;
use super::names::{Name, Names};
use crate::ids::{Id, Timestamp};
use crate::model::{
    AccessSnapshot, AccessUser, Effect, Grant, Group, GroupKind, Membership, OrgKind, OrgNode,
    Project, Resource, ResourceGroup, Role,
};
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

/// Microseconds since the Unix epoch: how the index keeps times, for cheap comparisons.
pub(crate) type Micros = i64;

/// An object's dense number in the index.
pub(crate) type Handle = u32;

/// No object.
pub(crate) const NO_HANDLE: Handle = u32::MAX;

/// The most slots an index holds: handles keep their top bit free for [`Hold`]'s flags.
const MAX_HANDLES: usize = 1 << 31;

/// Below this many tombstones an index is never called sparse.
const SPARSE_MIN: usize = 1024;

/// A validity window `[from, until)` in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) from: Micros,
    pub(crate) until: Micros,
}

impl Window {
    /// Always in force.
    const ALWAYS: Window = Window {
        from: Micros::MIN,
        until: Micros::MAX,
    };

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

/// An org node: its tenant and the handles from the root down to it.
#[derive(Debug, Clone)]
pub(crate) struct NodeEntry {
    pub(crate) tenant: Handle,
    pub(crate) kind: OrgKind,
    pub(crate) path: Box<[Handle]>,
}

/// A user: whether they can hold rights, where they live, and the groups of their explicit
/// memberships (inline up to four). `bounded` says whether any membership has a validity
/// window; the windows themselves are kept aside in [`AccessIndex::windows`].
#[derive(Debug, Clone)]
pub(crate) struct UserEntry {
    pub(crate) tenant: Handle,
    pub(crate) owner: Handle,
    pub(crate) active: bool,
    pub(crate) bounded: bool,
    pub(crate) groups: SmallVec<[Handle; 4]>,
}

/// A group: its owner (org node or project) and kind.
#[derive(Debug, Clone)]
pub(crate) struct GroupEntry {
    pub(crate) tenant: Handle,
    pub(crate) owner: Handle,
    pub(crate) kind: GroupKind,
}

/// A project: owner, exclusivity, and its groups (project-level and attached).
#[derive(Debug, Clone)]
pub(crate) struct ProjectEntry {
    pub(crate) tenant: Handle,
    pub(crate) owner: Handle,
    pub(crate) exclusive: bool,
    pub(crate) groups: Box<[Handle]>,
}

/// A resource: type, owner and the resource groups it is in (inline up to two). Its tenant
/// is its owner's (kept out of the entry so that it fits, with a user's, in a slot).
#[derive(Debug, Clone)]
pub(crate) struct ResourceEntry {
    pub(crate) owner: Handle,
    pub(crate) rtype: Name,
    pub(crate) groups: SmallVec<[Handle; 2]>,
}

/// A resource group: its owner.
#[derive(Debug, Clone)]
pub(crate) struct OwnedEntry {
    pub(crate) tenant: Handle,
    pub(crate) owner: Handle,
}

/// A role: owner, name and the number of its permission set.
#[derive(Debug, Clone)]
pub(crate) struct RoleEntry {
    pub(crate) owner: Handle,
    pub(crate) set: u32,
    pub(crate) name: Box<str>,
}

/// What the index knows of one handle.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    /// Nothing: an id referenced but not (or no longer) known, a tombstone.
    Absent,
    /// An org node.
    Node(NodeEntry),
    /// A user.
    User(UserEntry),
    /// A group.
    Group(GroupEntry),
    /// A project.
    Project(ProjectEntry),
    /// A resource.
    Resource(ResourceEntry),
    /// A resource group.
    ResourceGroup(OwnedEntry),
    /// A custom or built-in role.
    Role(RoleEntry),
}

/// One grant as its subject holds it: where, which grant, and what it gives, packed so that a
/// user's single grant fits in their slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hold {
    /// The scope's handle.
    pub(crate) scope: Handle,
    /// The grant's slot in the grant table, with the [`Hold::DENY`] and [`Hold::TIMED`] bits.
    grant: u32,
    /// A role's handle with the [`Hold::ROLE`] bit, or the number of an inline permission set.
    rule: u32,
}

impl Hold {
    const DENY: u32 = 1 << 31;
    const TIMED: u32 = 1 << 30;
    const ROLE: u32 = 1 << 31;

    /// The grant's slot in the grant table.
    pub(crate) fn grant(self) -> usize {
        (self.grant & !(Self::DENY | Self::TIMED)) as usize
    }

    /// Whether the grant denies.
    pub(crate) fn denies(self) -> bool {
        self.grant & Self::DENY != 0
    }

    /// Whether the grant has a validity window (to be read from the grant table).
    pub(crate) fn timed(self) -> bool {
        self.grant & Self::TIMED != 0
    }

    /// The role granted, or the inline permission set.
    pub(crate) fn rule(self) -> Rule {
        if self.rule & Self::ROLE != 0 {
            Rule::Role(self.rule & !Self::ROLE)
        } else {
            Rule::Set(self.rule)
        }
    }
}

/// What a grant gives: a role's permissions (looked up when asked, so role changes apply at
/// once) or an inline set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    Role(Handle),
    Set(u32),
}

/// A subject's grants, sorted by scope (grants on one scope in the order they came); inline
/// up to one.
pub(crate) type Holds = SmallVec<[Hold; 1]>;

/// One handle's slot: the grants given to it (users and groups) and its facts. One cache line.
#[derive(Debug, Clone)]
#[repr(align(64))]
pub(crate) struct Slot {
    pub(crate) held: Holds,
    pub(crate) object: Object,
}

/// A grant, whole: for explanations, windows, and finding it again to change or remove it.
#[derive(Debug, Clone)]
pub(crate) struct GrantEntry {
    pub(crate) id: Id,
    pub(crate) subject: Handle,
    pub(crate) scope: Handle,
    pub(crate) role: Handle,
    pub(crate) effect: Effect,
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
    /// Each id's handle.
    handles: FxHashMap<Id, Handle>,
    /// Each handle's id.
    pub(crate) ids: Vec<Id>,
    /// Each handle's slot.
    pub(crate) slots: Vec<Slot>,
    /// Slots that hold an object (the others are tombstones or ids only referenced).
    live: usize,
    /// Each tenant's implicit `All` group.
    pub(crate) all_groups: FxHashMap<Handle, Handle>,
    /// Every project, for lists by owner.
    pub(crate) projects: FxHashSet<Handle>,
    /// Type and action names, and permission sets.
    pub(crate) names: Names,
    /// Every grant, by slot; `None` for a free slot.
    pub(crate) grants: Vec<Option<GrantEntry>>,
    /// Free slots of the grant table.
    free_grants: Vec<u32>,
    /// Each grant's slot.
    grant_slots: FxHashMap<Id, u32>,
    /// The grants held on each scope, by slot: what goes when the scope goes.
    on_scope: FxHashMap<Handle, SmallVec<[u32; 2]>>,
    /// The windows of bounded memberships, by `(user, group)`.
    pub(crate) windows: FxHashMap<(Handle, Handle), Window>,
}

impl AccessIndex {
    /// An index holding exactly the snapshot's facts (and the built-in roles). Each part of
    /// the snapshot is dropped once used, and memberships are matched to their users by
    /// sorting them in place rather than in a map of their own: with millions of memberships
    /// those copies were the peak of a server's memory at start.
    pub fn build(snapshot: AccessSnapshot) -> Self {
        let AccessSnapshot {
            version,
            nodes,
            users,
            groups,
            mut memberships,
            projects,
            attachments,
            resources,
            resource_groups,
            resource_group_members,
            roles,
            grants,
        } = snapshot;
        let mut ix = AccessIndex {
            version,
            ..AccessIndex::default()
        };
        // Handles in an order that keeps what every decision reads (org nodes, roles, groups,
        // resource groups) together at the front.
        let ids = nodes.len()
            + groups.len()
            + users.len()
            + projects.len()
            + resources.len()
            + resource_groups.len()
            + roles.len();
        ix.handles.reserve(ids);
        ix.ids.reserve(ids);
        ix.slots.reserve(ids);
        let builtin = builtin_roles();
        for id in nodes.iter().map(|n| n.id) {
            ix.intern(id);
        }
        for id in builtin.iter().chain(&roles).map(|r| r.id) {
            ix.intern(id);
        }
        for id in groups.iter().map(|g| g.id) {
            ix.intern(id);
        }
        for id in resource_groups.iter().map(|g| g.id) {
            ix.intern(id);
        }
        for id in projects.iter().map(|p| p.id) {
            ix.intern(id);
        }

        for role in builtin.iter().chain(&roles) {
            ix.put_role(role);
        }
        drop(roles);
        for n in &nodes {
            ix.put_node(n);
        }
        drop(nodes);
        for g in &groups {
            ix.put_group(g);
        }
        for g in &resource_groups {
            ix.put_resource_group(g);
        }
        drop(resource_groups);
        let mut project_groups: FxHashMap<Id, Vec<Id>> = FxHashMap::default();
        for (project, group) in attachments {
            project_groups.entry(project).or_default().push(group);
        }
        for g in &groups {
            if g.level == crate::model::GroupLevel::Project {
                project_groups.entry(g.owner).or_default().push(g.id);
            }
        }
        drop(groups);
        for p in &projects {
            let groups = project_groups.remove(&p.id).unwrap_or_default();
            ix.put_project(p, &groups);
        }
        drop(projects);
        memberships.sort_unstable_by_key(|m| (m.user, m.group));
        let mut of_user = Vec::new();
        for u in &users {
            let first = memberships.partition_point(|m| m.user < u.id);
            of_user.clear();
            of_user.extend(
                memberships[first..]
                    .iter()
                    .take_while(|m| m.user == u.id)
                    .map(|m| (m.group, Window::new(m.valid_from, m.valid_until))),
            );
            ix.put_user(u, &of_user);
        }
        drop(memberships);
        drop(users);
        let mut resource_groups: FxHashMap<Id, SmallVec<[Id; 2]>> = FxHashMap::default();
        for (group, resource) in resource_group_members {
            resource_groups.entry(resource).or_default().push(group);
        }
        for r in &resources {
            let groups = resource_groups.remove(&r.id).unwrap_or_default();
            ix.put_resource(r, &groups);
        }
        drop(resources);
        ix.grants.reserve(grants.len());
        ix.grant_slots.reserve(grants.len());
        for g in &grants {
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
        let mut sizes = IndexSizes {
            users: 0,
            groups: 0,
            resources: 0,
            grants: self.grant_slots.len(),
        };
        for slot in &self.slots {
            match slot.object {
                Object::User(_) => sizes.users += 1,
                Object::Group(_) => sizes.groups += 1,
                Object::Resource(_) => sizes.resources += 1,
                _ => {}
            }
        }
        sizes
    }

    /// Whether tombstones make up a quarter or more of the slots (and there are at least
    /// [`SPARSE_MIN`] of them): time to rebuild from a snapshot.
    pub fn is_sparse(&self) -> bool {
        let dead = self.slots.len() - self.live;
        dead >= SPARSE_MIN && dead * 4 >= self.slots.len()
    }

    /// Applies reloaded facts and moves the index to `version`.
    pub fn apply(&mut self, facts: Vec<Facts>, version: i64) {
        for f in facts {
            match f {
                Facts::Node(_, Some(n)) => self.put_node(&n),
                Facts::User(_, Some((u, ms))) => {
                    let groups: Vec<(Id, Window)> = ms
                        .iter()
                        .map(|m| (m.group, Window::new(m.valid_from, m.valid_until)))
                        .collect();
                    self.put_user(&u, &groups)
                }
                Facts::Group(_, Some(g)) => self.put_group(&g),
                Facts::Project(_, Some((p, groups))) => self.put_project(&p, &groups),
                Facts::Resource(_, Some((r, groups))) => self.put_resource(&r, &groups),
                Facts::ResourceGroup(_, Some(g)) => self.put_resource_group(&g),
                Facts::Role(_, Some(r)) => self.put_role(&r),
                Facts::Grant(id, Some(g)) => {
                    self.remove_grant(id);
                    self.put_grant(&g)
                }
                Facts::Grant(id, None) => self.remove_grant(id),
                Facts::Role(id, None) => {
                    // Grants of a role that is gone give nothing; they stay until removed.
                    if let Some(h) = self.handle(id) {
                        self.set(h, Object::Absent);
                    }
                }
                Facts::Node(id, None)
                | Facts::User(id, None)
                | Facts::Group(id, None)
                | Facts::Project(id, None)
                | Facts::Resource(id, None)
                | Facts::ResourceGroup(id, None) => self.remove(id),
            }
        }
        self.version = version;
    }

    /// The handle of `id`, if the index has met it.
    pub(crate) fn handle(&self, id: Id) -> Option<Handle> {
        self.handles.get(&id).copied()
    }

    /// What the index knows of `h`.
    pub(crate) fn object(&self, h: Handle) -> &Object {
        self.slots
            .get(h as usize)
            .map_or(&Object::Absent, |s| &s.object)
    }

    /// The id of `h`.
    pub(crate) fn id(&self, h: Handle) -> Id {
        self.ids.get(h as usize).copied().unwrap_or_else(Id::nil)
    }

    /// The grant in slot `slot`.
    pub(crate) fn grant(&self, slot: usize) -> Option<&GrantEntry> {
        self.grants.get(slot).and_then(Option::as_ref)
    }

    /// The handle of `id`, given one (with an empty slot) if it has none.
    fn intern(&mut self, id: Id) -> Handle {
        if let Some(h) = self.handles.get(&id) {
            return *h;
        }
        assert!(self.slots.len() < MAX_HANDLES, "access index full");
        let h = self.slots.len() as Handle;
        self.handles.insert(id, h);
        self.ids.push(id);
        self.slots.push(Slot {
            held: Holds::new(),
            object: Object::Absent,
        });
        h
    }

    /// Replaces what `h` holds, keeping count of live slots.
    fn set(&mut self, h: Handle, object: Object) {
        let slot = &mut self.slots[h as usize];
        let was_live = !matches!(slot.object, Object::Absent);
        let is_live = !matches!(object, Object::Absent);
        slot.object = object;
        match (was_live, is_live) {
            (false, true) => self.live += 1,
            (true, false) => self.live -= 1,
            _ => {}
        }
    }

    /// An object is gone: its slot becomes a tombstone and every grant given to it or held on
    /// it goes.
    fn remove(&mut self, id: Id) {
        let Some(h) = self.handle(id) else {
            return;
        };
        if let Object::Group(g) = &self.slots[h as usize].object {
            let tenant = g.tenant;
            if g.kind == GroupKind::All && self.all_groups.get(&tenant) == Some(&h) {
                self.all_groups.remove(&tenant);
            }
        }
        self.forget_windows(h);
        self.projects.remove(&h);
        self.set(h, Object::Absent);
        let mut gone: Vec<u32> = self.slots[h as usize]
            .held
            .iter()
            .map(|hold| hold.grant() as u32)
            .collect();
        gone.extend(self.on_scope.get(&h).into_iter().flatten());
        for slot in gone {
            if let Some(id) = self.grant(slot as usize).map(|g| g.id) {
                self.remove_grant(id);
            }
        }
    }

    fn put_node(&mut self, n: &OrgNode) {
        let h = self.intern(n.id);
        let node = NodeEntry {
            tenant: self.intern(n.tenant),
            kind: n.kind,
            path: n.path.iter().map(|id| self.intern(*id)).collect(),
        };
        self.set(h, Object::Node(node));
    }

    fn forget_windows(&mut self, user: Handle) {
        if let Object::User(u) = &self.slots[user as usize].object {
            if u.bounded {
                for g in u.groups.clone() {
                    self.windows.remove(&(user, g));
                }
            }
        }
    }

    fn put_user(&mut self, u: &AccessUser, memberships: &[(Id, Window)]) {
        let h = self.intern(u.id);
        self.forget_windows(h);
        let mut groups = SmallVec::with_capacity(memberships.len());
        let mut bounded = false;
        for (group, window) in memberships {
            let g = self.intern(*group);
            groups.push(g);
            if *window != Window::ALWAYS {
                bounded = true;
                self.windows.insert((h, g), *window);
            }
        }
        let user = UserEntry {
            tenant: self.intern(u.tenant),
            owner: self.intern(u.owner),
            active: u.active,
            bounded,
            groups,
        };
        self.set(h, Object::User(user));
    }

    fn put_group(&mut self, g: &Group) {
        let h = self.intern(g.id);
        let tenant = self.intern(g.tenant);
        if g.kind == GroupKind::All {
            self.all_groups.insert(tenant, h);
        }
        let group = GroupEntry {
            tenant,
            owner: self.intern(g.owner),
            kind: g.kind,
        };
        self.set(h, Object::Group(group));
    }

    fn put_project(&mut self, p: &Project, groups: &[Id]) {
        let h = self.intern(p.id);
        let project = ProjectEntry {
            tenant: self.intern(p.tenant),
            owner: self.intern(p.owner),
            exclusive: p.exclusive,
            groups: groups.iter().map(|g| self.intern(*g)).collect(),
        };
        self.projects.insert(h);
        self.set(h, Object::Project(project));
    }

    fn put_resource(&mut self, r: &Resource, groups: &[Id]) {
        let h = self.intern(r.id);
        let resource = ResourceEntry {
            owner: self.intern(r.owner),
            rtype: self.names.intern(&r.rtype),
            groups: groups.iter().map(|g| self.intern(*g)).collect(),
        };
        self.set(h, Object::Resource(resource));
    }

    fn put_resource_group(&mut self, g: &ResourceGroup) {
        let h = self.intern(g.id);
        let group = OwnedEntry {
            tenant: self.intern(g.tenant),
            owner: self.intern(g.owner),
        };
        self.set(h, Object::ResourceGroup(group));
    }

    fn put_role(&mut self, r: &Role) {
        let h = self.intern(r.id);
        let role = RoleEntry {
            owner: self.intern(r.owner),
            set: self.names.set_of(&r.permissions),
            name: r.name.as_str().into(),
        };
        self.set(h, Object::Role(role));
    }

    fn put_grant(&mut self, g: &Grant) {
        let subject = self.intern(g.subject);
        let scope = self.intern(g.scope);
        let role = g.role.map_or(NO_HANDLE, |r| self.intern(r));
        let window = Window::new(g.valid_from, g.valid_until);
        let entry = GrantEntry {
            id: g.id,
            subject,
            scope,
            role,
            effect: g.effect,
            window,
        };
        let slot = match self.free_grants.pop() {
            Some(slot) => {
                self.grants[slot as usize] = Some(entry);
                slot
            }
            None => {
                assert!(self.grants.len() < Hold::TIMED as usize, "grant table full");
                self.grants.push(Some(entry));
                (self.grants.len() - 1) as u32
            }
        };
        let mut flags = 0;
        if g.effect == Effect::Deny {
            flags |= Hold::DENY;
        }
        if window != Window::ALWAYS {
            flags |= Hold::TIMED;
        }
        let rule = match g.role {
            Some(_) => role | Hold::ROLE,
            None => self.names.set_of(&g.permissions),
        };
        let hold = Hold {
            scope,
            grant: slot | flags,
            rule,
        };
        let held = &mut self.slots[subject as usize].held;
        let at = held.partition_point(|x| x.scope <= scope);
        held.insert(at, hold);
        self.on_scope.entry(scope).or_default().push(slot);
        self.grant_slots.insert(g.id, slot);
    }

    fn remove_grant(&mut self, id: Id) {
        let Some(slot) = self.grant_slots.remove(&id) else {
            return;
        };
        let Some(entry) = self.grants[slot as usize].take() else {
            return;
        };
        self.free_grants.push(slot);
        let held = &mut self.slots[entry.subject as usize].held;
        held.retain(|h| h.grant() != slot as usize);
        if held.is_empty() {
            // Give back a spilled list's memory.
            *held = Holds::new();
        }
        if let Some(list) = self.on_scope.get_mut(&entry.scope) {
            list.retain(|s| *s != slot);
            if list.is_empty() {
                self.on_scope.remove(&entry.scope);
            }
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
