//! Decisions over the access index: `check`, `explain`, what reaches a user, and where.
//!
//! A question is allowed when some allow grant reaches the user — directly, through an active
//! membership, or through their tenant's `All` group — on a scope containing the target with a
//! permission covering the one wanted, and no deny grant reaching them on such a scope touches
//! it. Inactive and unknown users, and unknown targets, are denied. In an exclusive project, a
//! user who is in one of the project's groups has their own grants inside the project ignored.

use super::index::{find_scope, AccessIndex, GrantEntry, Micros, UserEntry};
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
    fn touched_by(self, p: &Permission) -> bool {
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

/// A scope on the chain from a target up to the root, and the project it lies in, if any.
#[derive(Debug, Clone, Copy)]
struct Link {
    scope: Id,
    project: Option<Id>,
}

type Chain = SmallVec<[Link; 12]>;

impl AccessIndex {
    /// The type name of any object the index knows: a resource's own type, or the built-in
    /// type of one of roster's objects.
    pub fn type_of(&self, target: Id) -> Option<&str> {
        if let Some(r) = self.resources.get(&target) {
            return Some(&r.rtype);
        }
        if let Some(n) = self.nodes.get(&target) {
            return Some(match n.kind {
                OrgKind::Customer => "customer",
                OrgKind::Tenant | OrgKind::System => "tenant",
            });
        }
        if self.users.contains_key(&target) {
            Some("user")
        } else if self.groups.contains_key(&target) {
            Some("group")
        } else if self.projects.contains_key(&target) {
            Some("project")
        } else if self.resource_groups.contains_key(&target) {
            Some("resource-group")
        } else if self.roles.contains_key(&target) {
            Some("role")
        } else {
            None
        }
    }

    /// The tenant an object lies in.
    pub fn tenant_of(&self, target: Id) -> Option<Id> {
        if let Some(r) = self.resources.get(&target) {
            return Some(r.tenant);
        }
        if let Some(n) = self.nodes.get(&target) {
            return Some(n.tenant);
        }
        self.users
            .get(&target)
            .map(|u| u.tenant)
            .or_else(|| self.groups.get(&target).map(|g| g.tenant))
            .or_else(|| self.projects.get(&target).map(|p| p.tenant))
            .or_else(|| self.resource_groups.get(&target).map(|g| g.tenant))
    }

    /// `check`: whether `user` may do `action` on `target`, where the action is a bare action
    /// of the target's type (`read`) or spelled with it (`device:read`).
    pub fn check(&self, user: Id, action: &str, target: Id, at: Micros) -> bool {
        let Some(rtype) = self.type_of(target) else {
            return false;
        };
        let action = match action.split_once(':') {
            Some((t, a)) if t == rtype => a,
            Some(_) => return false,
            None => action,
        };
        self.decide(user, Wanted::new(rtype, action), target, at, None)
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
        let Some(rtype) = self.type_of(target) else {
            ex.reason = Some(self.user_problem(user).unwrap_or(DenyReason::UnknownTarget));
            return ex;
        };
        let action = match action.split_once(':') {
            Some((t, a)) if t == rtype => a,
            Some(_) => {
                ex.reason = Some(DenyReason::UnknownAction);
                return ex;
            }
            None => action,
        };
        self.decide(user, Wanted::new(rtype, action), target, at, Some(&mut ex));
        ex
    }

    /// Whether `user` holds `wanted` on `target` (every part of a wildcard wanted, and no deny
    /// touching any of it). The service layer's authorisation and the no-escalation rule ask
    /// this.
    pub fn holds(&self, user: Id, wanted: Wanted<'_>, target: Id, at: Micros) -> bool {
        self.decide(user, wanted, target, at, None)
    }

    fn user_problem(&self, user: Id) -> Option<DenyReason> {
        match self.users.get(&user) {
            None => Some(DenyReason::UnknownUser),
            Some(u) if !u.active => Some(DenyReason::InactiveUser),
            Some(_) => None,
        }
    }

    /// Who a user's grants may be given to, at `at`: the user first, then the groups of their
    /// memberships in force, then their tenant's `All` group.
    fn subjects(&self, user: Id, u: &UserEntry, at: Micros) -> SmallVec<[Id; 8]> {
        let mut subjects: SmallVec<[Id; 8]> = SmallVec::new();
        subjects.push(user);
        subjects.extend(
            u.groups
                .iter()
                .filter(|(_, w)| w.holds(at))
                .map(|(g, _)| *g),
        );
        if let Some(all) = self.all_groups.get(&u.tenant) {
            subjects.push(*all);
        }
        subjects
    }

    /// The decision itself; fills `trace` when asked to explain.
    fn decide(
        &self,
        user: Id,
        wanted: Wanted<'_>,
        target: Id,
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
        let Some(u) = self.users.get(&user) else {
            return deny(trace, DenyReason::UnknownUser);
        };
        if !u.active {
            return deny(trace, DenyReason::InactiveUser);
        }
        let Some(chain) = self.chain(target) else {
            return deny(trace, DenyReason::UnknownTarget);
        };

        let subjects = self.subjects(user, u, at);
        let groups = &subjects[1..];

        // An exclusive project the user is in a group of: their own grants inside it do not count.
        let mut ignored: Option<Id> = None;
        for link in &chain {
            if link.project == Some(link.scope) {
                if let Some(p) = self.projects.get(&link.scope) {
                    if p.exclusive && p.groups.iter().any(|g| groups.contains(g)) {
                        ignored = Some(link.scope);
                    }
                }
            }
        }
        if let (Some(t), Some(p)) = (trace.as_deref_mut(), ignored) {
            t.ignored_in_project = Some(p);
        }

        // Every subject's scopes are looked up before any is visited: the lookups do not depend
        // on each other, so the processor overlaps their memory accesses.
        let lists: SmallVec<[_; 8]> = subjects.iter().map(|s| self.by_subject.get(s)).collect();
        let mut allowed = false;
        for (i, (subject, scopes)) in subjects.iter().zip(lists).enumerate() {
            let Some(scopes) = scopes else {
                continue;
            };
            let via_group = (i > 0).then_some(*subject);
            let visit = |link: &Link,
                         grants: &[GrantEntry],
                         trace: &mut Option<&mut Explanation>|
             -> Option<bool> {
                if i == 0 && ignored.is_some() && link.project == ignored {
                    return None;
                }
                self.match_grants(grants, wanted, at, via_group, trace)
            };
            if scopes.len() <= 2 * chain.len() {
                for s in scopes {
                    if let Some(link) = chain.iter().find(|l| l.scope == s.scope) {
                        match visit(link, &s.grants, &mut trace) {
                            Some(false) if trace.is_none() => return false,
                            Some(true) => allowed = true,
                            _ => {}
                        }
                    }
                }
            } else {
                for link in &chain {
                    let Ok(at_scope) = find_scope(scopes, link.scope) else {
                        continue;
                    };
                    match visit(link, &scopes[at_scope].grants, &mut trace) {
                        Some(false) if trace.is_none() => return false,
                        Some(true) => allowed = true,
                        _ => {}
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

    /// The grants of one `(subject, scope)` pair against `wanted`: `Some(false)` when a deny
    /// matched, `Some(true)` when only allows did, `None` when nothing did.
    fn match_grants(
        &self,
        list: &[GrantEntry],
        wanted: Wanted<'_>,
        at: Micros,
        via_group: Option<Id>,
        trace: &mut Option<&mut Explanation>,
    ) -> Option<bool> {
        let mut result = None;
        for g in list {
            if !g.window.holds(at) {
                continue;
            }
            let role = g.role.and_then(|r| self.roles.get(&r));
            let perms: &[Permission] = match (g.role, role) {
                (Some(_), Some(r)) => &r.permissions,
                (Some(_), None) => &[],
                (None, _) => &g.permissions,
            };
            let hit = match g.effect {
                Effect::Allow => perms.iter().find(|p| wanted.covered_by(p)),
                Effect::Deny => perms.iter().find(|p| wanted.touched_by(p)),
            };
            let Some(p) = hit else { continue };
            if let Some(t) = trace.as_deref_mut() {
                let step = Step {
                    grant: g.id,
                    effect: g.effect,
                    via_group,
                    role: g.role.zip(role).map(|(id, r)| (id, r.name.to_string())),
                    permission: p.to_string(),
                    scope: g.scope,
                };
                match g.effect {
                    Effect::Allow => t.allowed_by.push(step),
                    Effect::Deny => t.denied_by.push(step),
                }
            }
            match g.effect {
                Effect::Deny => {
                    if trace.is_none() {
                        return Some(false);
                    }
                    result = Some(false);
                }
                Effect::Allow => {
                    if result.is_none() {
                        result = Some(true);
                    }
                }
            }
        }
        result
    }

    /// The scopes containing `target`, innermost first: the object itself, its resource
    /// groups, its project, then its org node and every ancestor.
    fn chain(&self, target: Id) -> Option<Chain> {
        let mut chain = Chain::new();
        if let Some(r) = self.resources.get(&target) {
            let project = self.projects.contains_key(&r.owner).then_some(r.owner);
            chain.push(Link {
                scope: target,
                project,
            });
            for g in &r.groups {
                if let Some(rg) = self.resource_groups.get(g) {
                    let project = self.projects.contains_key(&rg.owner).then_some(rg.owner);
                    chain.push(Link { scope: *g, project });
                }
            }
            self.owner_chain(r.owner, &mut chain)?;
        } else if let Some(g) = self.resource_groups.get(&target) {
            let project = self.projects.contains_key(&g.owner).then_some(g.owner);
            chain.push(Link {
                scope: target,
                project,
            });
            self.owner_chain(g.owner, &mut chain)?;
        } else if self.nodes.contains_key(&target) || self.projects.contains_key(&target) {
            self.owner_chain(target, &mut chain)?;
        } else if let Some(u) = self.users.get(&target) {
            self.owner_chain(u.owner, &mut chain)?;
        } else if let Some(g) = self.groups.get(&target) {
            self.owner_chain(g.owner, &mut chain)?;
        } else if let Some(r) = self.roles.get(&target) {
            self.owner_chain(r.owner, &mut chain)?;
        } else {
            return None;
        }
        Some(chain)
    }

    /// Pushes `owner` (a project or an org node) and everything above it.
    fn owner_chain(&self, owner: Id, chain: &mut Chain) -> Option<()> {
        let node = match self.projects.get(&owner) {
            Some(p) => {
                chain.push(Link {
                    scope: owner,
                    project: Some(owner),
                });
                p.owner
            }
            None => owner,
        };
        let n = self.nodes.get(&node)?;
        for id in n.path.iter().rev() {
            chain.push(Link {
                scope: *id,
                project: None,
            });
        }
        Some(())
    }

    /// Every grant in force reaching `user` (through themselves, their active memberships and
    /// their tenant's `All` group), with the group it came through; grants ignored under the
    /// exclusive-project rule are left out.
    pub fn grants_reaching(&self, user: Id, at: Micros) -> Vec<Reaching> {
        let Some(u) = self.users.get(&user) else {
            return Vec::new();
        };
        let subjects = self.subjects(user, u, at);
        let groups = &subjects[1..];
        let mut out = Vec::new();
        for (i, subject) in subjects.iter().enumerate() {
            let via = (i > 0).then_some(*subject);
            for at_scope in self.by_subject.get(subject).into_iter().flatten() {
                if via.is_none() && self.excluded_by_project(at_scope.scope, groups) {
                    continue;
                }
                for g in &at_scope.grants {
                    if !g.window.holds(at) {
                        continue;
                    }
                    let permissions = match g.role {
                        Some(r) => self
                            .roles
                            .get(&r)
                            .map(|r| r.permissions.to_vec())
                            .unwrap_or_default(),
                        None => g.permissions.to_vec(),
                    };
                    out.push(Reaching {
                        grant: g.id,
                        effect: g.effect,
                        via_group: via,
                        role: g.role,
                        permissions,
                        scope: g.scope,
                    });
                }
            }
        }
        out
    }

    /// Whether a user's own grant on `scope` is ignored: the scope lies in an exclusive project
    /// and one of `groups` is a group of it.
    fn excluded_by_project(&self, scope: Id, groups: &[Id]) -> bool {
        let project = if self.projects.contains_key(&scope) {
            Some(scope)
        } else {
            self.resources
                .get(&scope)
                .map(|r| r.owner)
                .or_else(|| self.resource_groups.get(&scope).map(|g| g.owner))
        };
        project
            .and_then(|p| self.projects.get(&p))
            .is_some_and(|p| p.exclusive && p.groups.iter().any(|g| groups.contains(g)))
    }

    /// The org nodes on which a grant reaching `user` allows `wanted` and the decision agrees,
    /// and those where a deny reaching them touches it: the roots of what a list may show and
    /// of what it must hide.
    pub fn node_roots(&self, user: Id, wanted: Wanted<'_>, at: Micros) -> NodeRoots {
        let mut roots = NodeRoots::default();
        for r in self.grants_reaching(user, at) {
            if !self.nodes.contains_key(&r.scope) {
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
            .filter(|(_, p)| nodes.contains(&p.owner))
            .map(|(id, _)| *id)
            .collect()
    }

    /// A role's permissions, as the index holds them (empty for an unknown role).
    pub fn role_permissions(&self, role: Id) -> Vec<Permission> {
        self.roles
            .get(&role)
            .map(|r| r.permissions.to_vec())
            .unwrap_or_default()
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
        if self.projects.contains_key(&target) {
            return Some(target);
        }
        let owner = self
            .resources
            .get(&target)
            .map(|r| r.owner)
            .or_else(|| self.resource_groups.get(&target).map(|g| g.owner))
            .or_else(|| self.groups.get(&target).map(|g| g.owner))?;
        self.projects.contains_key(&owner).then_some(owner)
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
