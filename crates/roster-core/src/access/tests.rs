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
