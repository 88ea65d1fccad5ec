//! Decisions over the access index: `check`, `explain`, what reaches a user, and where.
//!
//! A question is allowed when some allow grant reaches the user — directly, through an active
//! membership, or through their tenant's `All` group — on a scope containing the target with a
//! permission covering the one wanted, and no deny grant reaching them on such a scope touches
//! it. Inactive and unknown users, and unknown targets, are denied. In an exclusive project, a
//! user who is in one of the project's groups has their own grants inside the project ignored.

use super::index::{AccessIndex, Handle, Hold, Micros, Object, Rule, UserEntry, NO_HANDLE};
use super::names::{Name, Perm, Want};
use super::permission::Permission;
use crate::ids::Id;
use crate::model::{Effect, OrgKind};
use smallvec::SmallVec;

/// The permission a question asks for; `None` parts stand for `*` (as when checking whether a
/// caller holds a wildcard permission they want to grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted<'a> {
    /// The resource type, or every type.
    pub rtype: Option<&'a str>,
    /// The action, or every action.
    pub action: Option<&'a str>,
}

impl<'a> Wanted<'a> {
    /// `rtype:action`.
    pub fn new(rtype: &'a str, action: &'a str) -> Self {
        Wanted {
            rtype: Some(rtype),
            action: Some(action),
        }
    }

    /// The same question as a parsed permission.
    pub fn of(p: &'a Permission) -> Self {
        Wanted {
            rtype: p.rtype.as_deref(),
            action: p.action.as_deref(),
        }
    }

    /// Whether holding `p` gives all of this: each part of `p` is `*` or equal to the wanted
    /// part (so only `*` covers a wanted `*`).
    pub fn covered_by(self, p: &Permission) -> bool {
        part_covers(p.rtype.as_deref(), self.rtype) && part_covers(p.action.as_deref(), self.action)
    }

    /// Whether denying `p` takes away any of this.
    pub(crate) fn touched_by(self, p: &Permission) -> bool {
        part_meets(p.rtype.as_deref(), self.rtype) && part_meets(p.action.as_deref(), self.action)
    }
}

fn part_covers(held: Option<&str>, wanted: Option<&str>) -> bool {
    match (held, wanted) {
        (None, _) => true,
        (Some(h), Some(w)) => h == w,
        (Some(_), None) => false,
    }
}

fn part_meets(held: Option<&str>, wanted: Option<&str>) -> bool {
    match (held, wanted) {
        (Some(h), Some(w)) => h == w,
        _ => true,
    }
}

/// Why a question was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The user is unknown.
    UnknownUser,
    /// The user is pending or disabled.
    InactiveUser,
    /// The target is unknown.
    UnknownTarget,
    /// The action is not one the target's type has (or names another type).
    UnknownAction,
    /// No allow grant reaching the user covers it.
    NothingGrants,
    /// A deny grant reaching the user touches it.
    Denied,
}

impl DenyReason {
    /// The stable name of the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::UnknownUser => "unknown_user",
            DenyReason::InactiveUser => "inactive_user",
            DenyReason::UnknownTarget => "unknown_resource",
            DenyReason::UnknownAction => "unknown_action",
            DenyReason::NothingGrants => "nothing_grants",
            DenyReason::Denied => "denied",
        }
    }
}

/// One grant that took part in a decision, and how it reached the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The grant.
    pub grant: Id,
    /// Allow or deny.
    pub effect: Effect,
    /// The group it reached the user through, or `None` when given to the user.
    pub via_group: Option<Id>,
    /// The role granted, if any, and its name.
    pub role: Option<(Id, String)>,
    /// The permission of the grant that matched, canonical.
    pub permission: String,
    /// The scope the grant holds on.
    pub scope: Id,
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Whether the question is allowed.
    pub allowed: bool,
    /// Why not, when it is not.
    pub reason: Option<DenyReason>,
    /// The allow grants that matched.
    pub allowed_by: Vec<Step>,
    /// The deny grants that matched (and won).
    pub denied_by: Vec<Step>,
    /// Grants given to the user that were ignored because they are in a group of this
    /// exclusive project.
    pub ignored_in_project: Option<Id>,
}

/// A scope on the chain from a target up to the root, and the project it lies in
/// ([`NO_HANDLE`] for none).
#[derive(Debug, Clone, Copy)]
struct Link {
    scope: Handle,
    project: Handle,
}

type Chain = SmallVec<[Link; 12]>;

/// A scope's bit in a chain's mask: a grant whose scope's bit is not in the mask cannot be on
/// the chain, so most of a subject's grants are passed over without searching the chain.
fn scope_bit(scope: Handle) -> u64 {
    1 << (scope.wrapping_mul(0x9E37_79B9) >> 26)
}

/// Who a user's grants may be given to: the user, their groups, their tenant's `All`.
type Subjects = SmallVec<[Handle; 8]>;

/// The type of an object: a resource's own (interned), or one of roster's.
#[derive(Debug, Clone, Copy)]
enum TypeOf {
    Named(Name),
    Builtin(&'static str),
}

impl AccessIndex {
    fn type_of_handle(&self, h: Handle) -> Option<TypeOf> {
        Some(match self.object(h) {
            Object::Resource(r) => TypeOf::Named(r.rtype),
            Object::Node(n) => TypeOf::Builtin(match n.kind {
                OrgKind::Customer => "customer",
                OrgKind::Tenant | OrgKind::System => "tenant",
            }),
            Object::User(_) => TypeOf::Builtin("user"),
            Object::Group(_) => TypeOf::Builtin("group"),
            Object::Project(_) => TypeOf::Builtin("project"),
            Object::ResourceGroup(_) => TypeOf::Builtin("resource-group"),
            Object::Role(_) => TypeOf::Builtin("role"),
            Object::Absent => return None,
        })
    }

    fn spell_type(&self, t: TypeOf) -> &str {
        match t {
            TypeOf::Named(n) => self.names.spell(n),
            TypeOf::Builtin(s) => s,
        }
    }

    /// The type name of any object the index knows: a resource's own type, or the built-in
    /// type of one of roster's objects.
    pub fn type_of(&self, target: Id) -> Option<&str> {
        let t = self.type_of_handle(self.handle(target)?)?;
        Some(self.spell_type(t))
    }

    /// The tenant an object lies in.
    pub fn tenant_of(&self, target: Id) -> Option<Id> {
        let tenant = match self.object(self.handle(target)?) {
            Object::Resource(r) => return self.tenant_of(self.id(r.owner)),
            Object::Node(n) => n.tenant,
            Object::User(u) => u.tenant,
            Object::Group(g) => g.tenant,
            Object::Project(p) => p.tenant,
            Object::ResourceGroup(g) => g.tenant,
            Object::Role(_) | Object::Absent => return None,
        };
        Some(self.id(tenant))
    }

    /// The question of `action` on an object of type `t`: a bare action, or one spelled with
    /// the type (`device:read`); `None` when it names another type.
    fn want_of(&self, t: TypeOf, action: &str) -> Option<Want> {
        let action = match action.split_once(':') {
            Some((spelled, a)) if spelled == self.spell_type(t) => a,
            Some(_) => return None,
            None => action,
        };
        let rtype = match t {
            TypeOf::Named(n) => n,
            TypeOf::Builtin(s) => self.names.find(s),
        };
        Some(Want {
            rtype,
            action: self.names.find(action),
        })
    }

    /// `check`: whether `user` may do `action` on `target`, where the action is a bare action
    /// of the target's type (`read`) or spelled with it (`device:read`).
    pub fn check(&self, user: Id, action: &str, target: Id, at: Micros) -> bool {
        let Some(t) = self.handle(target) else {
            return false;
        };
        let Some(want) = self
            .type_of_handle(t)
            .and_then(|ty| self.want_of(ty, action))
        else {
            return false;
        };
        self.decide(user, want, t, at, None)
    }

    /// `explain`: the same decision as [`AccessIndex::check`], with its path.
    pub fn explain(&self, user: Id, action: &str, target: Id, at: Micros) -> Explanation {
        let mut ex = Explanation {
            allowed: false,
            reason: None,
            allowed_by: Vec::new(),
            denied_by: Vec::new(),
            ignored_in_project: None,
        };
        let target = self
            .handle(target)
            .and_then(|t| Some((t, self.type_of_handle(t)?)));
        let Some((t, ty)) = target else {
            ex.reason = Some(self.user_problem(user).unwrap_or(DenyReason::UnknownTarget));
            return ex;
        };
        let Some(want) = self.want_of(ty, action) else {
            ex.reason = Some(DenyReason::UnknownAction);
            return ex;
        };
        self.decide(user, want, t, at, Some(&mut ex));
        ex
    }

    /// Whether `user` holds `wanted` on `target` (every part of a wildcard wanted, and no deny
    /// touching any of it). The service layer's authorisation and the no-escalation rule ask
    /// this.
    pub fn holds(&self, user: Id, wanted: Wanted<'_>, target: Id, at: Micros) -> bool {
        let want = self.names.want(wanted.rtype, wanted.action);
        let target = self.handle(target).unwrap_or(NO_HANDLE);
        self.decide(user, want, target, at, None)
    }

    /// The user behind `user`, if the index knows one.
    fn user(&self, user: Id) -> Option<(Handle, &UserEntry)> {
        let h = self.handle(user)?;
        match self.object(h) {
            Object::User(u) => Some((h, u)),
            _ => None,
        }
    }

    fn user_problem(&self, user: Id) -> Option<DenyReason> {
        match self.user(user) {
            None => Some(DenyReason::UnknownUser),
            Some((_, u)) if !u.active => Some(DenyReason::InactiveUser),
            Some(_) => None,
        }
    }

    /// Who a user's grants may be given to, at `at`: the user first, then the groups of their
    /// memberships in force, then their tenant's `All` group.
    fn subjects(&self, user: Handle, u: &UserEntry, at: Micros) -> Subjects {
        let mut subjects = Subjects::new();
        subjects.push(user);
        if u.bounded {
            subjects.extend(u.groups.iter().copied().filter(|g| {
                self.windows
                    .get(&(user, *g))
                    .is_none_or(|window| window.holds(at))
            }));
        } else {
            subjects.extend_from_slice(&u.groups);
        }
        if let Some(all) = self.all_groups.get(&u.tenant) {
            subjects.push(*all);
        }
        subjects
    }

    /// The decision itself; fills `trace` when asked to explain.
    fn decide(
        &self,
        user: Id,
        want: Want,
        target: Handle,
        at: Micros,
        mut trace: Option<&mut Explanation>,
    ) -> bool {
        let deny = |trace: Option<&mut Explanation>, reason| {
            if let Some(t) = trace {
                t.allowed = false;
                t.reason = Some(reason);
            }
            false
        };
        let Some((uh, u)) = self.user(user) else {
            return deny(trace, DenyReason::UnknownUser);
        };
        if !u.active {
            return deny(trace, DenyReason::InactiveUser);
        }
        let Some(chain) = self.chain(target) else {
            return deny(trace, DenyReason::UnknownTarget);
        };

        let subjects = self.subjects(uh, u, at);
        let groups = &subjects[1..];

        // An exclusive project the user is in a group of: their own grants inside it do not count.
        let mut ignored = NO_HANDLE;
        for link in &chain {
            if link.project == link.scope && self.excludes(link.scope, groups) {
                ignored = link.scope;
            }
        }
        if let Some(t) = trace.as_deref_mut() {
            t.ignored_in_project = (ignored != NO_HANDLE).then(|| self.id(ignored));
        }

        // Every subject's grants are looked up before any is visited: the reads do not depend
        // on each other, so the processor overlaps their memory accesses.
        let lists: SmallVec<[&[Hold]; 8]> = subjects
            .iter()
            .map(|s| self.slots.get(*s as usize).map_or(&[][..], |s| &s.held[..]))
            .collect();
        let mask = chain.iter().fold(0, |m, l| m | scope_bit(l.scope));
        let explaining = trace.is_some();
        let mut allowed = false;
        for (i, (subject, held)) in subjects.iter().zip(lists).enumerate() {
            if held.is_empty() {
                continue;
            }
            let via_group = (i > 0).then_some(*subject);
            let own = i == 0 && ignored != NO_HANDLE;
            // Whether a matching grant ends the decision (a deny, when not explaining).
            let mut ends = |link: &Link, hold: Hold, trace: &mut Option<&mut Explanation>| {
                if own && link.project == ignored {
                    return false;
                }
                match self.match_hold(hold, want, at, via_group, trace) {
                    Some(false) => !explaining,
                    Some(true) => {
                        allowed = true;
                        false
                    }
                    None => false,
                }
            };
            if held.len() <= 16 * chain.len() {
                for hold in held {
                    if mask & scope_bit(hold.scope) == 0 {
                        continue;
                    }
                    if let Some(link) = chain.iter().find(|l| l.scope == hold.scope) {
                        if ends(link, *hold, &mut trace) {
                            return false;
                        }
                    }
                }
            } else {
                for link in &chain {
                    let from = held.partition_point(|h| h.scope < link.scope);
                    for hold in held[from..].iter().take_while(|h| h.scope == link.scope) {
                        if ends(link, *hold, &mut trace) {
                            return false;
                        }
                    }
                }
            }
        }
        match trace {
            Some(t) => {
                if !t.denied_by.is_empty() {
                    t.allowed = false;
                    t.reason = Some(DenyReason::Denied);
                } else if t.allowed_by.is_empty() {
                    t.allowed = false;
                    t.reason = Some(DenyReason::NothingGrants);
                } else {
                    t.allowed = true;
                }
                t.allowed
            }
            None => allowed,
        }
    }

    /// One grant against `want`: `Some(false)` when it is a deny touching it, `Some(true)`
    /// when it is an allow covering it, `None` when it is not in force or does not match.
    fn match_hold(
        &self,
        hold: Hold,
        want: Want,
        at: Micros,
        via_group: Option<Handle>,
        trace: &mut Option<&mut Explanation>,
    ) -> Option<bool> {
        if hold.timed() && !self.grant(hold.grant())?.window.holds(at) {
            return None;
        }
        let perms = self.permissions(hold.rule());
        let deny = hold.denies();
        let hit = if deny {
            perms.iter().find(|p| want.touched_by(**p))
        } else {
            perms.iter().find(|p| want.covered_by(**p))
        };
        let p = *hit?;
        if let Some(t) = trace.as_deref_mut() {
            if let Some(g) = self.grant(hold.grant()) {
                let role = match hold.rule() {
                    Rule::Role(r) => match self.object(r) {
                        Object::Role(role) => Some((self.id(r), role.name.to_string())),
                        _ => None,
                    },
                    Rule::Set(_) => None,
                };
                let step = Step {
                    grant: g.id,
                    effect: g.effect,
                    via_group: via_group.map(|h| self.id(h)),
                    role,
                    permission: self.names.permission(p).to_string(),
                    scope: self.id(hold.scope),
                };
                if deny {
                    t.denied_by.push(step);
                } else {
                    t.allowed_by.push(step);
                }
            }
        }
        Some(!deny)
    }

    /// What a grant gives: its role's permissions now (none when the role is gone), or its
    /// own.
    fn permissions(&self, rule: Rule) -> &[Perm] {
        match rule {
            Rule::Role(r) => match self.object(r) {
                Object::Role(role) => self.names.set(role.set),
                _ => &[],
            },
            Rule::Set(n) => self.names.set(n),
        }
    }

    /// The project `h` is, if it is one.
    fn project_or_none(&self, h: Handle) -> Handle {
        match self.object(h) {
            Object::Project(_) => h,
            _ => NO_HANDLE,
        }
    }

    /// The scopes containing `target`, innermost first: the object itself, its resource
    /// groups, its project, then its org node and every ancestor.
    fn chain(&self, target: Handle) -> Option<Chain> {
        let mut chain = Chain::new();
        match self.object(target) {
            Object::Resource(r) => {
                chain.push(Link {
                    scope: target,
                    project: self.project_or_none(r.owner),
                });
                for g in &r.groups {
                    if let Object::ResourceGroup(rg) = self.object(*g) {
                        chain.push(Link {
                            scope: *g,
                            project: self.project_or_none(rg.owner),
                        });
                    }
                }
                self.owner_chain(r.owner, &mut chain)?;
            }
            Object::ResourceGroup(g) => {
                chain.push(Link {
                    scope: target,
                    project: self.project_or_none(g.owner),
                });
                self.owner_chain(g.owner, &mut chain)?;
            }
            Object::Node(_) | Object::Project(_) => self.owner_chain(target, &mut chain)?,
            Object::User(u) => self.owner_chain(u.owner, &mut chain)?,
            Object::Group(g) => self.owner_chain(g.owner, &mut chain)?,
            Object::Role(r) => self.owner_chain(r.owner, &mut chain)?,
            Object::Absent => return None,
        }
        Some(chain)
    }

    /// Pushes `owner` (a project or an org node) and everything above it.
    fn owner_chain(&self, owner: Handle, chain: &mut Chain) -> Option<()> {
        let node = match self.object(owner) {
            Object::Project(p) => {
                chain.push(Link {
                    scope: owner,
                    project: owner,
                });
                p.owner
            }
            _ => owner,
        };
        let Object::Node(n) = self.object(node) else {
            return None;
        };
        for h in n.path.iter().rev() {
            chain.push(Link {
                scope: *h,
                project: NO_HANDLE,
            });
        }
        Some(())
    }

    /// Whether `project` is exclusive and one of `groups` is a group of it.
    fn excludes(&self, project: Handle, groups: &[Handle]) -> bool {
        match self.object(project) {
            Object::Project(p) => p.exclusive && p.groups.iter().any(|g| groups.contains(g)),
            _ => false,
        }
    }

    /// Every grant in force reaching `user` (through themselves, their active memberships and
    /// their tenant's `All` group), with the group it came through; grants ignored under the
    /// exclusive-project rule are left out.
    pub fn grants_reaching(&self, user: Id, at: Micros) -> Vec<Reaching> {
        let Some((uh, u)) = self.user(user) else {
            return Vec::new();
        };
        let subjects = self.subjects(uh, u, at);
        let groups = &subjects[1..];
        let mut out = Vec::new();
        for (i, subject) in subjects.iter().enumerate() {
            let via = (i > 0).then_some(*subject);
            let held = self
                .slots
                .get(*subject as usize)
                .map_or(&[][..], |s| &s.held);
            for hold in held {
                if via.is_none() && self.excluded_by_project(hold.scope, groups) {
                    continue;
                }
                let Some(g) = self.grant(hold.grant()) else {
                    continue;
                };
                if !g.window.holds(at) {
                    continue;
                }
                out.push(Reaching {
                    grant: g.id,
                    effect: g.effect,
                    via_group: via.map(|h| self.id(h)),
                    role: (g.role != NO_HANDLE).then(|| self.id(g.role)),
                    permissions: self
                        .permissions(hold.rule())
                        .iter()
                        .map(|p| self.names.permission(*p))
                        .collect(),
                    scope: self.id(hold.scope),
                });
            }
        }
        out
    }

    /// Whether a user's own grant on `scope` is ignored: the scope lies in an exclusive project
    /// and one of `groups` is a group of it.
    fn excluded_by_project(&self, scope: Handle, groups: &[Handle]) -> bool {
        let project = match self.object(scope) {
            Object::Project(_) => scope,
            Object::Resource(r) => r.owner,
            Object::ResourceGroup(g) => g.owner,
            _ => return false,
        };
        self.excludes(project, groups)
    }

    /// The org nodes on which a grant reaching `user` allows `wanted` and the decision agrees,
    /// and those where a deny reaching them touches it: the roots of what a list may show and
    /// of what it must hide.
    pub fn node_roots(&self, user: Id, wanted: Wanted<'_>, at: Micros) -> NodeRoots {
        let mut roots = NodeRoots::default();
        for r in self.grants_reaching(user, at) {
            let on_node = self
                .handle(r.scope)
                .is_some_and(|h| matches!(self.object(h), Object::Node(_)));
            if !on_node {
                continue;
            }
            match r.effect {
                Effect::Allow => {
                    if r.permissions.iter().any(|p| wanted.covered_by(p))
                        && !roots.allowed.contains(&r.scope)
                        && self.holds(user, wanted, r.scope, at)
                    {
                        roots.allowed.push(r.scope);
                    }
                }
                Effect::Deny => {
                    if r.permissions.iter().any(|p| wanted.touched_by(p))
                        && !roots.denied.contains(&r.scope)
                    {
                        roots.denied.push(r.scope);
                    }
                }
            }
        }
        roots
    }

    /// The projects owned by any of `nodes`.
    pub fn projects_owned_by(&self, nodes: &[Id]) -> Vec<Id> {
        self.projects
            .iter()
            .filter(|p| match self.object(**p) {
                Object::Project(entry) => nodes.contains(&self.id(entry.owner)),
                _ => false,
            })
            .map(|p| self.id(*p))
            .collect()
    }

    /// A role's permissions, as the index holds them (empty for an unknown role).
    pub fn role_permissions(&self, role: Id) -> Vec<Permission> {
        match self.handle(role).map(|h| self.object(h)) {
            Some(Object::Role(r)) => self
                .names
                .set(r.set)
                .iter()
                .map(|p| self.names.permission(*p))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `user` holds `*:*` on the system root: a system administrator.
    pub fn is_system_admin(&self, user: Id, at: Micros) -> bool {
        self.holds(
            user,
            Wanted {
                rtype: None,
                action: None,
            },
            crate::SYSTEM_NODE_ID,
            at,
        )
    }

    /// The project an object lies in, for objects owned by a project (and the project itself).
    pub fn project_of(&self, target: Id) -> Option<Id> {
        let h = self.handle(target)?;
        let owner = match self.object(h) {
            Object::Project(_) => return Some(target),
            Object::Resource(r) => r.owner,
            Object::ResourceGroup(g) => g.owner,
            Object::Group(g) => g.owner,
            _ => return None,
        };
        (self.project_or_none(owner) != NO_HANDLE).then(|| self.id(owner))
    }
}

/// A grant in force reaching a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Reaching {
    /// The grant.
    pub grant: Id,
    /// Allow or deny.
    pub effect: Effect,
    /// The group it came through, or `None` when given to the user.
    pub via_group: Option<Id>,
    /// The role granted, if any.
    pub role: Option<Id>,
    /// Its permissions (the role's, or the inline ones).
    pub permissions: Vec<Permission>,
    /// Where it holds.
    pub scope: Id,
}

/// The org nodes below which a list may show objects, and those below which it must not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeRoots {
    /// Nodes where the permission is allowed.
    pub allowed: Vec<Id>,
    /// Nodes where a deny touches it.
    pub denied: Vec<Id>,
}
