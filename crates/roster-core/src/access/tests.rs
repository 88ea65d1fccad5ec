//! Decisions over hand-built snapshots: the rules of DESIGN §2, one by one.

use super::builtin::{EDITOR_ROLE, VIEWER_ROLE};
use super::*;
use crate::ids::{new_id, now, Id};
use crate::model::*;
use crate::SYSTEM_NODE_ID;
use chrono::Duration;

/// A small install: the root, one tenant with a customer, and helpers to add to it.
struct World {
    snap: AccessSnapshot,
    tenant: Id,
    customer: Id,
    all: Id,
}

fn node(id: Id, kind: OrgKind, tenant: Id, path: Vec<Id>) -> OrgNode {
    let at = now();
    OrgNode {
        id,
        kind,
        name: id.to_string(),
        parent: path.len().checked_sub(2).map(|i| path[i]),
        tenant,
        path,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

impl World {
    fn new() -> Self {
        let tenant = new_id();
        let customer = new_id();
        let mut snap = AccessSnapshot::default();
        snap.nodes.push(node(
            SYSTEM_NODE_ID,
            OrgKind::System,
            SYSTEM_NODE_ID,
            vec![SYSTEM_NODE_ID],
        ));
        snap.nodes.push(node(
            tenant,
            OrgKind::Tenant,
            tenant,
            vec![SYSTEM_NODE_ID, tenant],
        ));
        snap.nodes.push(node(
            customer,
            OrgKind::Customer,
            tenant,
            vec![SYSTEM_NODE_ID, tenant, customer],
        ));
        let mut w = World {
            snap,
            tenant,
            customer,
            all: Id::nil(),
        };
        w.all = w.group_of(tenant, GroupKind::All, GroupLevel::Org);
        w
    }

    fn user(&mut self, owner: Id) -> Id {
        let id = new_id();
        self.snap.users.push(AccessUser {
            id,
            tenant: self.tenant,
            owner,
            active: true,
        });
        id
    }

    fn group_of(&mut self, owner: Id, kind: GroupKind, level: GroupLevel) -> Id {
        let id = new_id();
        let at = now();
        self.snap.groups.push(Group {
            id,
            tenant: self.tenant,
            owner,
            name: id.to_string(),
            description: String::new(),
            level,
            kind,
            version: 1,
            created_at: at,
            updated_at: at,
        });
        id
    }

    fn group(&mut self, owner: Id) -> Id {
        self.group_of(owner, GroupKind::Custom, GroupLevel::Org)
    }

    fn join(&mut self, group: Id, user: Id) {
        self.snap.memberships.push(Membership {
            group,
            user,
            tenant: self.tenant,
            valid_from: None,
            valid_until: None,
            created_at: now(),
        });
    }

    fn resource(&mut self, owner: Id, rtype: &str) -> Id {
        let id = new_id();
        let at = now();
        self.snap.resources.push(Resource {
            id,
            tenant: self.tenant,
            owner,
            rtype: rtype.into(),
            name: id.to_string(),
            version: 1,
            created_at: at,
            updated_at: at,
        });
        id
    }

    fn resource_group(&mut self, owner: Id, members: &[Id]) -> Id {
        let id = new_id();
        let at = now();
        self.snap.resource_groups.push(ResourceGroup {
            id,
            tenant: self.tenant,
            owner,
            name: id.to_string(),
            description: String::new(),
            version: 1,
            created_at: at,
            updated_at: at,
        });
        for m in members {
            self.snap.resource_group_members.push((id, *m));
        }
        id
    }

    fn project(&mut self, exclusive: bool) -> Id {
        let id = new_id();
        let at = now();
        self.snap.projects.push(Project {
            id,
            tenant: self.tenant,
            owner: self.tenant,
            name: id.to_string(),
            description: String::new(),
            exclusive,
            version: 1,
            created_at: at,
            updated_at: at,
        });
        id
    }

    fn grant(&mut self, subject: Id, perms: &[&str], scope: Id, effect: Effect) -> Id {
        self.grant_full(subject, None, perms, scope, effect, None, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn grant_full(
        &mut self,
        subject: Id,
        role: Option<Id>,
        perms: &[&str],
        scope: Id,
        effect: Effect,
        valid_from: Option<crate::Timestamp>,
        valid_until: Option<crate::Timestamp>,
    ) -> Id {
        let id = new_id();
        let at = now();
        self.snap.grants.push(Grant {
            id,
            tenant: self.tenant,
            subject,
            subject_kind: SubjectKind::Group,
            role,
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            scope,
            scope_kind: ScopeKind::Node,
            effect,
            valid_from,
            valid_until,
            version: 1,
            created_at: at,
            updated_at: at,
        });
        id
    }

    fn index(&self) -> AccessIndex {
        AccessIndex::build(self.snap.clone())
    }
}

fn t() -> i64 {
    micros(now())
}

#[test]
fn deny_wins_over_an_allow_from_another_group() {
    // VoIP console: Allow CDR, Deny PCAP in one group; another group allows PCAP.
    let mut w = World::new();
    let cdr = w.resource(w.tenant, "service");
    let pcap = w.resource(w.tenant, "pcap");
    let support = w.group(w.tenant);
    let pcap_readers = w.group(w.tenant);
    w.grant(support, &["service:use"], w.tenant, Effect::Allow);
    w.grant(support, &["pcap:*"], w.tenant, Effect::Deny);
    w.grant(pcap_readers, &["pcap:use"], w.tenant, Effect::Allow);
    let both = w.user(w.tenant);
    w.join(support, both);
    w.join(pcap_readers, both);
    let only_readers = w.user(w.tenant);
    w.join(pcap_readers, only_readers);
    let nobody = w.user(w.tenant);
    let ix = w.index();

    assert!(ix.check(both, "use", cdr, t()));
    assert!(!ix.check(both, "use", pcap, t()), "the deny wins");
    assert!(ix.check(only_readers, "pcap:use", pcap, t()));
    assert!(!ix.check(nobody, "use", cdr, t()), "no group, no rights");

    let ex = ix.explain(both, "use", pcap, t());
    assert!(!ex.allowed);
    assert_eq!(ex.reason, Some(DenyReason::Denied));
    assert_eq!(ex.denied_by.len(), 1);
    assert_eq!(ex.denied_by[0].via_group, Some(support));
    assert_eq!(ex.denied_by[0].permission, "pcap:*");
    assert_eq!(ex.allowed_by.len(), 1, "the overridden allow is shown too");
    let none = ix.explain(nobody, "use", cdr, t());
    assert_eq!(none.reason, Some(DenyReason::NothingGrants));
}

#[test]
fn roles_on_resource_groups_cover_members_added_later() {
    // TrueCommand: Viewer on one system reads only; Editor on a system group writes on every
    // system in it, including one added afterwards.
    let mut w = World::new();
    let sys1 = w.resource(w.tenant, "system");
    let sys2 = w.resource(w.tenant, "system");
    let sys3 = w.resource(w.tenant, "system");
    let rg = w.resource_group(w.tenant, &[sys2]);
    let viewer = w.user(w.tenant);
    let editor = w.user(w.tenant);
    let team_v = w.group(w.tenant);
    let team_e = w.group(w.tenant);
    w.join(team_v, viewer);
    w.join(team_e, editor);
    w.grant_full(
        team_v,
        Some(VIEWER_ROLE),
        &[],
        sys1,
        Effect::Allow,
        None,
        None,
    );
    w.grant_full(
        team_e,
        Some(EDITOR_ROLE),
        &[],
        rg,
        Effect::Allow,
        None,
        None,
    );
    let mut ix = w.index();

    assert!(ix.check(viewer, "read", sys1, t()));
    assert!(!ix.check(viewer, "write", sys1, t()));
    assert!(!ix.check(viewer, "read", sys2, t()));
    assert!(ix.check(editor, "write", sys2, t()));
    assert!(!ix.check(editor, "read", sys3, t()));

    let at = now();
    let r3 = w
        .snap
        .resources
        .iter()
        .find(|r| r.id == sys3)
        .unwrap()
        .clone();
    ix.apply(vec![Facts::Resource(sys3, Some((r3, vec![rg])))], 1);
    assert!(ix.check(editor, "write", sys3, micros(at)));
}

#[test]
fn grants_on_a_customer_cover_its_subtree_and_all_alone_gives_nothing() {
    // ThingsBoard: a generic role on a customer covers its sub-customers' resources.
    let mut w = World::new();
    let sub = new_id();
    w.snap.nodes.push(node(
        sub,
        OrgKind::Customer,
        w.tenant,
        vec![SYSTEM_NODE_ID, w.tenant, w.customer, sub],
    ));
    let device = w.resource(sub, "device");
    let elsewhere = w.resource(w.tenant, "device");
    let operators = w.group(w.customer);
    w.grant(operators, &["device:read"], w.customer, Effect::Allow);
    let op = w.user(w.customer);
    w.join(operators, op);
    let plain = w.user(w.customer);
    let mut ix = w.index();

    assert!(ix.check(op, "read", device, t()));
    assert!(
        !ix.check(op, "read", elsewhere, t()),
        "outside the customer"
    );
    assert!(
        !ix.check(plain, "read", device, t()),
        "only in All: nothing"
    );

    // Granting something to All reaches everyone in the tenant.
    let all = w.all;
    let g = w.grant(all, &["device:read"], w.tenant, Effect::Allow);
    let grant = w.snap.grants.iter().find(|x| x.id == g).unwrap().clone();
    ix.apply(vec![Facts::Grant(g, Some(grant))], 2);
    assert!(ix.check(plain, "read", elsewhere, t()));

    // Deleting the group revokes its grants at once.
    ix.apply(vec![Facts::Group(operators, None)], 3);
    ix.apply(vec![Facts::Grant(g, None)], 4);
    assert!(!ix.check(op, "read", device, t()));
    assert_eq!(ix.version(), 4);
}

#[test]
fn in_an_exclusive_project_group_rights_replace_the_users_own() {
    let mut w = World::new();
    let p = w.project(true);
    let open = w.project(false);
    let doc = w.resource(p, "document");
    let open_doc = w.resource(open, "document");
    let readers = w.group_of(p, GroupKind::Custom, GroupLevel::Project);
    let open_readers = w.group_of(open, GroupKind::Custom, GroupLevel::Project);
    w.grant(readers, &["document:read"], p, Effect::Allow);
    w.grant(open_readers, &["document:read"], open, Effect::Allow);
    let u = w.user(w.tenant);
    // The user's own grants: write in both projects.
    for scope in [p, open] {
        let id = w.grant(u, &["document:write"], scope, Effect::Allow);
        w.snap
            .grants
            .iter_mut()
            .find(|g| g.id == id)
            .unwrap()
            .subject_kind = SubjectKind::User;
    }
    let ix_before = w.index();
    assert!(
        ix_before.check(u, "write", doc, t()),
        "no group yet: own grant"
    );

    w.join(readers, u);
    w.join(open_readers, u);
    let ix = w.index();
    assert!(ix.check(u, "read", doc, t()));
    assert!(
        !ix.check(u, "write", doc, t()),
        "own grant ignored in the exclusive project"
    );
    assert!(
        ix.check(u, "write", open_doc, t()),
        "kept where the project is not exclusive"
    );
    let ex = ix.explain(u, "write", doc, t());
    assert_eq!(ex.ignored_in_project, Some(p));
}

#[test]
fn windows_and_status_are_read_at_the_time_of_asking() {
    let mut w = World::new();
    let dev = w.resource(w.tenant, "device");
    let g = w.group(w.tenant);
    let u = w.user(w.tenant);
    let later = now() + Duration::hours(1);
    w.snap.memberships.push(Membership {
        group: g,
        user: u,
        tenant: w.tenant,
        valid_from: None,
        valid_until: Some(later),
        created_at: now(),
    });
    w.grant_full(
        g,
        None,
        &["device:read"],
        dev,
        Effect::Allow,
        Some(now() - Duration::hours(1)),
        None,
    );
    let disabled = w.user(w.tenant);
    w.join(g, disabled);
    w.snap.users.last_mut().unwrap().active = false;
    let ix = w.index();

    assert!(ix.check(u, "read", dev, t()));
    assert!(
        !ix.check(u, "read", dev, micros(later)),
        "membership lapsed"
    );
    assert!(
        !ix.check(u, "read", dev, micros(now() - Duration::hours(2))),
        "grant not yet valid"
    );
    assert!(!ix.check(disabled, "read", dev, t()));
    assert_eq!(
        ix.explain(disabled, "read", dev, t()).reason,
        Some(DenyReason::InactiveUser)
    );
    assert!(!ix.check(new_id(), "read", dev, t()), "unknown user");
    assert!(!ix.check(u, "read", new_id(), t()), "unknown resource");
    assert!(
        !ix.check(u, "system:read", dev, t()),
        "action of another type"
    );
}

#[test]
fn wildcards_are_held_only_when_nothing_is_denied() {
    let mut w = World::new();
    let admins = w.group(w.tenant);
    let u = w.user(w.tenant);
    w.join(admins, u);
    w.grant(admins, &["*:*"], w.tenant, Effect::Allow);
    let ix = w.index();
    let all = Wanted {
        rtype: None,
        action: None,
    };
    assert!(ix.holds(u, all, w.customer, t()));
    assert!(
        !ix.holds(u, all, SYSTEM_NODE_ID, t()),
        "not above the tenant"
    );

    w.grant(admins, &["device:write"], w.customer, Effect::Deny);
    let ix = w.index();
    assert!(
        !ix.holds(u, all, w.customer, t()),
        "a deny takes part of *:* away"
    );
    assert!(ix.holds(u, all, w.tenant, t()));
    assert!(ix.holds(u, Wanted::new("user", "create"), w.customer, t()));
}

#[test]
fn slots_are_one_cache_line() {
    assert_eq!(std::mem::size_of::<super::index::Slot>(), 64);
}

#[test]
fn a_deleted_object_leaves_a_tombstone_that_its_id_brings_back() {
    let mut w = World::new();
    let dev = w.resource(w.tenant, "device");
    let u = w.user(w.tenant);
    w.grant(u, &["device:read"], dev, Effect::Allow);
    let mut ix = w.index();
    let slots = ix.slots.len();
    let handle = ix.handle(dev);
    assert!(ix.check(u, "read", dev, t()));

    ix.apply(vec![Facts::Resource(dev, None)], 1);
    assert!(
        !ix.check(u, "read", dev, t()),
        "gone, and its grants with it"
    );
    assert_eq!(ix.handle(dev), handle, "the id keeps its handle");
    assert_eq!(ix.sizes().grants, 0);

    let r = w.snap.resources[0].clone();
    ix.apply(vec![Facts::Resource(dev, Some((r, Vec::new())))], 2);
    assert_eq!(ix.handle(dev), handle);
    assert_eq!(ix.slots.len(), slots, "no new slot for an id seen before");
    assert!(
        !ix.check(u, "read", dev, t()),
        "the grants went with the object"
    );
    let g = w.grant(u, &["device:read"], dev, Effect::Allow);
    let grant = w.snap.grants.iter().find(|x| x.id == g).unwrap().clone();
    ix.apply(vec![Facts::Grant(g, Some(grant))], 3);
    assert!(ix.check(u, "read", dev, t()));
}

#[test]
fn grant_slots_are_reused_and_a_sparse_index_says_so() {
    let mut w = World::new();
    let u = w.user(w.tenant);
    let devices: Vec<Id> = (0..8000).map(|_| w.resource(w.tenant, "device")).collect();
    let mut ix = w.index();
    assert!(!ix.is_sparse());

    // Grants come and go without growing the grant table.
    for round in 0..3 {
        let g = w.grant(u, &["device:read"], devices[0], Effect::Allow);
        let grant = w.snap.grants.iter().find(|x| x.id == g).unwrap().clone();
        ix.apply(vec![Facts::Grant(g, Some(grant))], 2 * round + 1);
        assert!(ix.check(u, "read", devices[0], t()));
        ix.apply(vec![Facts::Grant(g, None)], 2 * round + 2);
        assert!(!ix.check(u, "read", devices[0], t()));
    }
    assert_eq!(ix.grants.len(), 1);

    // Deleting a fifth of the objects leaves the index dense enough; over a quarter, sparse.
    let gone = |ids: &[Id]| ids.iter().map(|id| Facts::Resource(*id, None)).collect();
    ix.apply(gone(&devices[..1600]), 10);
    assert!(!ix.is_sparse());
    ix.apply(gone(&devices[1600..2100]), 11);
    assert!(ix.is_sparse());
    let rebuilt = AccessIndex::build({
        let mut s = w.snap.clone();
        s.resources.drain(..2100);
        s
    });
    assert!(!rebuilt.is_sparse());
    assert_eq!(rebuilt.sizes().resources, 5900);
}

/// A random install that changes step by step: every change goes both into the snapshot (the
/// store's truth) and, as the facts the engine would reload, into an index that follows it.
struct Churn {
    w: World,
    rng: rand::rngs::StdRng,
    users: Vec<Id>,
    groups: Vec<Id>,
    resources: Vec<Id>,
    rgs: Vec<Id>,
    roles: Vec<Id>,
    nodes: Vec<Id>,
    deleted: Vec<Resource>,
}

impl Churn {
    fn new(seed: u64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut w = World::new();
        let mut nodes = vec![w.tenant, w.customer];
        for _ in 0..3 {
            let parent = nodes[rng.gen_range(0..nodes.len())];
            let mut path = w
                .snap
                .nodes
                .iter()
                .find(|n| n.id == parent)
                .unwrap()
                .path
                .clone();
            let id = new_id();
            path.push(id);
            w.snap
                .nodes
                .push(node(id, OrgKind::Customer, w.tenant, path));
            nodes.push(id);
        }
        let project = w.project(true);
        let groups: Vec<Id> = (0..6)
            .map(|i| match i {
                0 => w.group_of(project, GroupKind::Custom, GroupLevel::Project),
                _ => w.group(nodes[rng.gen_range(0..nodes.len())]),
            })
            .collect();
        let users: Vec<Id> = (0..12)
            .map(|_| w.user(nodes[rng.gen_range(0..nodes.len())]))
            .collect();
        for u in &users {
            for g in &groups {
                if rng.gen_bool(0.3) {
                    w.join(*g, *u);
                }
            }
        }
        let mut owners = nodes.clone();
        owners.push(project);
        let resources: Vec<Id> = (0..16)
            .map(|i| {
                let rtype = ["device", "dashboard"][i % 2];
                w.resource(owners[rng.gen_range(0..owners.len())], rtype)
            })
            .collect();
        let rgs: Vec<Id> = (0..3)
            .map(|_| {
                let members: Vec<Id> = resources
                    .iter()
                    .copied()
                    .filter(|_| rng.gen_bool(0.3))
                    .collect();
                w.resource_group(owners[rng.gen_range(0..owners.len())], &members)
            })
            .collect();
        let roles: Vec<Id> = (0..3)
            .map(|_| {
                let id = new_id();
                let at = now();
                w.snap.roles.push(Role {
                    id,
                    tenant: w.tenant,
                    owner: w.tenant,
                    name: id.to_string(),
                    description: String::new(),
                    permissions: vec!["device:read".into()],
                    builtin: false,
                    version: 1,
                    created_at: at,
                    updated_at: at,
                });
                id
            })
            .collect();
        let mut c = Churn {
            w,
            rng,
            users,
            groups,
            resources,
            rgs,
            roles,
            nodes,
            deleted: Vec::new(),
        };
        for _ in 0..30 {
            c.add_grant();
        }
        c
    }

    fn pick(&mut self, ids: &[Id]) -> Id {
        use rand::Rng;
        ids[self.rng.gen_range(0..ids.len())]
    }

    fn add_grant(&mut self) -> Facts {
        use rand::Rng;
        let mut subjects = self.users.clone();
        subjects.extend(&self.groups);
        subjects.push(self.w.all);
        let subject = self.pick(&subjects);
        let mut scopes = self.resources.clone();
        scopes.extend(&self.rgs);
        scopes.extend(&self.nodes);
        scopes.push(self.w.snap.projects[0].id);
        let scope = self.pick(&scopes);
        let effect = if self.rng.gen_bool(0.2) {
            Effect::Deny
        } else {
            Effect::Allow
        };
        let perms = [
            "device:read",
            "device:*",
            "*:read",
            "dashboard:write",
            "*:*",
        ];
        let (role, p): (Option<Id>, Vec<&str>) = if self.rng.gen_bool(0.4) {
            (Some(self.pick(&self.roles.clone())), vec![])
        } else {
            (None, vec![perms[self.rng.gen_range(0..perms.len())]])
        };
        let until = self.rng.gen_bool(0.1).then(|| now() - Duration::hours(1));
        let id = self
            .w
            .grant_full(subject, role, &p, scope, effect, None, until);
        let g = self
            .w
            .snap
            .grants
            .iter()
            .find(|g| g.id == id)
            .unwrap()
            .clone();
        Facts::Grant(id, Some(g))
    }

    /// One random change, as the facts an index would reload for it.
    fn step(&mut self) -> Vec<Facts> {
        use rand::Rng;
        let s = &mut self.w.snap;
        match self.rng.gen_range(0..9) {
            0 | 1 => vec![self.add_grant()],
            2 if !s.grants.is_empty() => {
                let g = s.grants.remove(self.rng.gen_range(0..s.grants.len()));
                vec![Facts::Grant(g.id, None)]
            }
            3 => {
                let u = self.pick(&self.users.clone());
                let g = self.pick(&self.groups.clone());
                let s = &mut self.w.snap;
                let before = s.memberships.len();
                s.memberships.retain(|m| !(m.user == u && m.group == g));
                if s.memberships.len() == before {
                    s.memberships.push(Membership {
                        group: g,
                        user: u,
                        tenant: self.w.tenant,
                        valid_from: None,
                        valid_until: self.rng.gen_bool(0.3).then(|| now() - Duration::hours(1)),
                        created_at: now(),
                    });
                }
                vec![self.user_facts(u)]
            }
            4 => {
                let u = self.pick(&self.users.clone());
                let user = self.w.snap.users.iter_mut().find(|x| x.id == u).unwrap();
                user.active = !user.active;
                vec![self.user_facts(u)]
            }
            5 => {
                let r = self.pick(&self.resources.clone());
                let rg = self.pick(&self.rgs.clone());
                let s = &mut self.w.snap;
                let before = s.resource_group_members.len();
                s.resource_group_members.retain(|m| *m != (rg, r));
                if s.resource_group_members.len() == before {
                    s.resource_group_members.push((rg, r));
                }
                vec![self.resource_facts(r)]
            }
            6 => {
                // A resource goes (with the grants on it and its group memberships), or one that
                // went comes back under its old id.
                if let (true, Some(r)) = (self.rng.gen_bool(0.5), self.deleted.pop()) {
                    let id = r.id;
                    self.w.snap.resources.push(r);
                    self.resources.push(id);
                    return vec![self.resource_facts(id)];
                }
                let r = self.pick(&self.resources.clone());
                let s = &mut self.w.snap;
                let at = s.resources.iter().position(|x| x.id == r).unwrap();
                self.deleted.push(s.resources.remove(at));
                s.grants.retain(|g| g.scope != r);
                s.resource_group_members.retain(|m| m.1 != r);
                self.resources.retain(|x| *x != r);
                vec![Facts::Resource(r, None)]
            }
            7 => {
                let role = self.pick(&self.roles.clone());
                let perms = ["device:read", "device:write", "*:read", "device:*"];
                let p = perms[self.rng.gen_range(0..perms.len())];
                let r = self.w.snap.roles.iter_mut().find(|r| r.id == role).unwrap();
                r.permissions = vec![p.into()];
                vec![Facts::Role(role, Some(r.clone()))]
            }
            _ => {
                let exclusive = !self.w.snap.projects[0].exclusive;
                self.w.snap.projects[0].exclusive = exclusive;
                let p = self.w.snap.projects[0].clone();
                let groups = self
                    .w
                    .snap
                    .groups
                    .iter()
                    .filter(|g| g.owner == p.id)
                    .map(|g| g.id)
                    .collect();
                vec![Facts::Project(p.id, Some((p, groups)))]
            }
        }
    }

    fn user_facts(&self, u: Id) -> Facts {
        let user = self
            .w
            .snap
            .users
            .iter()
            .find(|x| x.id == u)
            .unwrap()
            .clone();
        let ms = self
            .w
            .snap
            .memberships
            .iter()
            .filter(|m| m.user == u)
            .cloned()
            .collect();
        Facts::User(u, Some((user, ms)))
    }

    fn resource_facts(&self, r: Id) -> Facts {
        let resource = self
            .w
            .snap
            .resources
            .iter()
            .find(|x| x.id == r)
            .unwrap()
            .clone();
        let groups = self
            .w
            .snap
            .resource_group_members
            .iter()
            .filter(|m| m.1 == r)
            .map(|m| m.0)
            .collect();
        Facts::Resource(r, Some((resource, groups)))
    }

    /// Every answer of `a` and `b` agrees: checks, explanations and what reaches each user.
    fn assert_same(&self, a: &AccessIndex, b: &AccessIndex, when: &str) {
        let at = t();
        let mut targets = self.resources.clone();
        targets.extend(&self.rgs);
        targets.extend(&self.nodes);
        targets.extend(self.deleted.iter().map(|r| r.id));
        for u in &self.users {
            for r in &targets {
                for action in ["read", "write", "device:read", "rpc"] {
                    assert_eq!(
                        a.check(*u, action, *r, at),
                        b.check(*u, action, *r, at),
                        "{when}: check {u} {action} {r}"
                    );
                    let (ea, eb) = (a.explain(*u, action, *r, at), b.explain(*u, action, *r, at));
                    assert_eq!(
                        (ea.allowed, ea.reason, ea.ignored_in_project),
                        (eb.allowed, eb.reason, eb.ignored_in_project),
                        "{when}: explain {u} {action} {r}"
                    );
                }
                let all = Wanted {
                    rtype: None,
                    action: None,
                };
                assert_eq!(a.holds(*u, all, *r, at), b.holds(*u, all, *r, at));
            }
            let reaching = |ix: &AccessIndex| {
                let mut grants: Vec<String> = ix
                    .grants_reaching(*u, at)
                    .iter()
                    .map(|r| format!("{r:?}"))
                    .collect();
                grants.sort();
                grants
            };
            assert_eq!(reaching(a), reaching(b), "{when}: reaching {u}");
        }
    }
}

#[test]
fn incremental_changes_answer_like_a_fresh_build_also_after_a_rebuild() {
    for seed in 0..4 {
        let mut c = Churn::new(seed);
        let mut ix = c.w.index();
        for step in 1..=150 {
            let facts = c.step();
            ix.apply(facts, step);
            if step % 25 == 0 {
                c.assert_same(&ix, &c.w.index(), &format!("seed {seed}, step {step}"));
            }
        }
        // Rebuilt (as the engine does when behind or sparse), then changed again.
        let mut ix = c.w.index();
        for step in 151..=250 {
            let facts = c.step();
            ix.apply(facts, step);
        }
        c.assert_same(&ix, &c.w.index(), &format!("seed {seed}, after a rebuild"));
        assert_eq!(ix.version(), 250);
    }
}
