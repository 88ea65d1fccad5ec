//! The access-check benchmark of issue 3: a generated tenant (100,000 users, 10,000 groups,
//! 1,000 roles, 100,000 resources in 1,000 resource groups) with a growing number of grants.
//! Times building the decision index and `check`; then encodes the allow-only subset for
//! casbin and Cedar, asserts that all three answer alike, and times them side by side.

use crate::stats::{summarise, Summary};
use anyhow::{bail, Context, Result};
use casbin::prelude::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use cedar_policy::{
    Authorizer, Context as CedarContext, Decision, Entities, Entity, EntityId, EntityTypeName,
    EntityUid, PolicySet, Request,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use roster_core::access::{builtin, micros, AccessIndex, Permission};
use roster_core::model::{
    AccessSnapshot, AccessUser, Effect, Grant, Group, GroupKind, GroupLevel, Membership, OrgKind,
    OrgNode, Resource, ResourceGroup, Role, ScopeKind, SubjectKind,
};
use roster_core::{now, Id, Timestamp, SYSTEM_NODE_ID};
use rustc_hash::{FxHashMap, FxHashSet};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The seed of every random choice: the same dataset and questions on every run.
const SEED: u64 = 3;
/// Customers of the tenant; the first `TOP_CUSTOMERS` sit right below it, the others below
/// an earlier customer, down to `MAX_DEPTH` levels.
const CUSTOMERS: usize = 1_000;
const TOP_CUSTOMERS: usize = 400;
const MAX_DEPTH: usize = 4;
// The rest of issue 3's dataset; only the grants grow.
const USERS: usize = 100_000;
const GROUPS: usize = 10_000;
const MEMBERSHIPS_PER_USER: usize = 3;
const ROLES: usize = 1_000;
const RESOURCES: usize = 100_000;
const RESOURCE_GROUPS: usize = 1_000;
/// Share of grants that deny.
const DENY: f64 = 0.10;
/// The application's resource types and their actions.
pub(crate) const TYPES: &[(&str, &[&str])] = &[
    ("device", &["read", "write", "rpc"]),
    ("dashboard", &["read", "write"]),
    ("service", &["read", "use"]),
];
/// What custom roles and inline grants are made of.
const PERMISSIONS: &[&str] = &[
    "device:read",
    "device:write",
    "device:rpc",
    "dashboard:read",
    "dashboard:write",
    "service:read",
    "service:use",
    "device:*",
    "*:read",
    "service:*",
];
/// Questions compared across the three engines at the smallest grant count; larger counts
/// get proportionally fewer (casbin and Cedar scan every rule), but at least this many.
const MIN_COMPARED: usize = 200;

/// The casbin model: `g` links users to groups, `g2` links resources to their resource
/// groups and owner, and org nodes to their parent; one `p` rule per grant and permission,
/// `*` standing for any type or action.
const CASBIN_MODEL: &str = r#"
[request_definition]
r = sub, obj, typ, act

[policy_definition]
p = sub, obj, typ, act

[role_definition]
g = _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (p.act == "*" || p.act == r.act) && (p.typ == "*" || p.typ == r.typ) && g2(r.obj, p.obj) && g(r.sub, p.sub)
"#;

/// The allocator of the harness: the system's, counting the bytes in use so the index's own
/// footprint can be reported.
pub struct CountingAlloc;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// The process's resident set in bytes (`/proc/self/statm`, 4 KiB pages), or 0 when unknown.
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn mib(bytes: f64) -> f64 {
    bytes / 1024.0 / 1024.0
}

/// The generated tenant, with the lookups the question generator needs.
pub(crate) struct World {
    /// Everything but the grants.
    pub(crate) base: AccessSnapshot,
    /// The grants of the largest count, in order: each count takes a prefix.
    pub(crate) grants: Vec<Grant>,
    /// When the data was generated; windows are relative to it, questions asked at it.
    at: Timestamp,
    pub(crate) users: Vec<Id>,
    user_active: Vec<bool>,
    user_index: FxHashMap<Id, u32>,
    group_members: FxHashMap<Id, Vec<u32>>,
    pub(crate) resources: Vec<Id>,
    resource_type: Vec<&'static str>,
    resource_index: FxHashMap<Id, u32>,
    /// Resources in each resource group.
    rg_members: FxHashMap<Id, Vec<u32>>,
    /// Resources owned by each customer or below it.
    node_resources: FxHashMap<Id, Vec<u32>>,
    /// Every role's permissions (custom and built-in), canonical.
    role_permissions: FxHashMap<Id, Vec<String>>,
}

/// One question: may this user do this action on this resource?
#[derive(Debug, Clone, Copy)]
pub(crate) struct Question {
    pub(crate) user: u32,
    pub(crate) resource: u32,
    pub(crate) action: &'static str,
}

fn days(at: Timestamp, d: i64) -> Option<Timestamp> {
    Timestamp::from_timestamp(at.timestamp() + d * 86_400, 0)
}

/// A validity window: none mostly; sometimes one already over, sometimes one in force.
fn window(rng: &mut StdRng, share: f64, at: Timestamp) -> (Option<Timestamp>, Option<Timestamp>) {
    if !rng.gen_bool(share) {
        (None, None)
    } else if rng.gen_bool(0.5) {
        (days(at, -30), days(at, -1))
    } else {
        (days(at, -1), days(at, 30))
    }
}

fn org_node(id: Id, kind: OrgKind, tenant: Id, path: Vec<Id>, at: Timestamp) -> OrgNode {
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

fn group(id: Id, tenant: Id, owner: Id, kind: GroupKind, at: Timestamp) -> Group {
    Group {
        id,
        tenant,
        owner,
        name: id.to_string(),
        description: String::new(),
        level: GroupLevel::Org,
        kind,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Generates the tenant and `max_grants` grants.
pub(crate) fn generate(max_grants: usize) -> World {
    let mut rng = StdRng::seed_from_u64(SEED);
    let at = now();
    let mut snap = AccessSnapshot::default();
    let tenant = Id::from_u128(rng.gen());
    snap.nodes.push(org_node(
        SYSTEM_NODE_ID,
        OrgKind::System,
        SYSTEM_NODE_ID,
        vec![SYSTEM_NODE_ID],
        at,
    ));
    snap.nodes.push(org_node(
        tenant,
        OrgKind::Tenant,
        tenant,
        vec![SYSTEM_NODE_ID, tenant],
        at,
    ));

    // Customers, as indices: each one's path of customer indices from the top.
    let mut customers: Vec<Id> = Vec::with_capacity(CUSTOMERS);
    let mut customer_path: Vec<Vec<usize>> = Vec::with_capacity(CUSTOMERS);
    for i in 0..CUSTOMERS {
        let id = Id::from_u128(rng.gen());
        let parent = if i < TOP_CUSTOMERS {
            None
        } else {
            let shallow: Vec<usize> = (0..i)
                .filter(|j| customer_path[*j].len() < MAX_DEPTH)
                .collect();
            shallow.choose(&mut rng).copied()
        };
        let (mut cpath, mut path) = match parent {
            // Nodes 0 and 1 are the root and the tenant; customer `p` is node `p + 2`.
            Some(p) => (customer_path[p].clone(), snap.nodes[p + 2].path.clone()),
            None => (Vec::new(), vec![SYSTEM_NODE_ID, tenant]),
        };
        cpath.push(i);
        path.push(id);
        snap.nodes
            .push(org_node(id, OrgKind::Customer, tenant, path, at));
        customers.push(id);
        customer_path.push(cpath);
    }

    // Groups: the tenant's `All`, and custom groups owned by customers.
    snap.groups.push(group(
        Id::from_u128(rng.gen()),
        tenant,
        tenant,
        GroupKind::All,
        at,
    ));
    let all = snap.groups[0].id;
    let mut customer_groups: Vec<Vec<Id>> = vec![Vec::new(); CUSTOMERS];
    for _ in 0..GROUPS {
        let id = Id::from_u128(rng.gen());
        let owner = rng.gen_range(0..CUSTOMERS);
        customer_groups[owner].push(id);
        snap.groups
            .push(group(id, tenant, customers[owner], GroupKind::Custom, at));
    }

    // Users, owned by customers, each in up to three groups owned at or above their owner.
    let mut users = Vec::with_capacity(USERS);
    let mut user_active = Vec::with_capacity(USERS);
    let mut group_members: FxHashMap<Id, Vec<u32>> = FxHashMap::default();
    for u in 0..USERS {
        let id = Id::from_u128(rng.gen());
        let owner = rng.gen_range(0..CUSTOMERS);
        let active = rng.gen_bool(0.99);
        snap.users.push(AccessUser {
            id,
            tenant,
            owner: customers[owner],
            active,
        });
        let eligible: Vec<Id> = customer_path[owner]
            .iter()
            .flat_map(|c| customer_groups[*c].iter().copied())
            .collect();
        for g in eligible.choose_multiple(&mut rng, MEMBERSHIPS_PER_USER) {
            let (valid_from, valid_until) = window(&mut rng, 0.03, at);
            snap.memberships.push(Membership {
                group: *g,
                user: id,
                tenant,
                valid_from,
                valid_until,
                created_at: at,
            });
            group_members.entry(*g).or_default().push(u as u32);
        }
        users.push(id);
        user_active.push(active);
    }

    // Custom roles of one to three permissions.
    let mut role_permissions: FxHashMap<Id, Vec<String>> = builtin::builtin_roles()
        .into_iter()
        .map(|r| (r.id, r.permissions))
        .collect();
    let mut roles = Vec::with_capacity(ROLES);
    for _ in 0..ROLES {
        let id = Id::from_u128(rng.gen());
        let n = rng.gen_range(1..=3);
        let permissions: Vec<String> = PERMISSIONS
            .choose_multiple(&mut rng, n)
            .map(|p| (*p).to_string())
            .collect();
        role_permissions.insert(id, permissions.clone());
        snap.roles.push(Role {
            id,
            tenant,
            owner: tenant,
            name: id.to_string(),
            description: String::new(),
            permissions,
            builtin: false,
            version: 1,
            created_at: at,
            updated_at: at,
        });
        roles.push(id);
    }

    // Resource groups and resources owned by customers; every resource in one resource group,
    // a fifth in a second one.
    let mut rgs = Vec::with_capacity(RESOURCE_GROUPS);
    for _ in 0..RESOURCE_GROUPS {
        let id = Id::from_u128(rng.gen());
        let owner = customers[rng.gen_range(0..CUSTOMERS)];
        snap.resource_groups.push(ResourceGroup {
            id,
            tenant,
            owner,
            name: id.to_string(),
            description: String::new(),
            version: 1,
            created_at: at,
            updated_at: at,
        });
        rgs.push(id);
    }
    let mut resources = Vec::with_capacity(RESOURCES);
    let mut resource_type = Vec::with_capacity(RESOURCES);
    let mut rg_members: FxHashMap<Id, Vec<u32>> = FxHashMap::default();
    let mut node_resources: FxHashMap<Id, Vec<u32>> = FxHashMap::default();
    for r in 0..RESOURCES {
        let id = Id::from_u128(rng.gen());
        let owner = rng.gen_range(0..CUSTOMERS);
        let rtype = match rng.gen_range(0..4) {
            0 | 1 => TYPES[0].0,
            2 => TYPES[1].0,
            _ => TYPES[2].0,
        };
        snap.resources.push(Resource {
            id,
            tenant,
            owner: customers[owner],
            rtype: rtype.to_string(),
            name: id.to_string(),
            version: 1,
            created_at: at,
            updated_at: at,
        });
        let in_groups = if rng.gen_bool(0.2) { 2 } else { 1 };
        for g in rgs.choose_multiple(&mut rng, in_groups) {
            snap.resource_group_members.push((*g, id));
            rg_members.entry(*g).or_default().push(r as u32);
        }
        for c in &customer_path[owner] {
            node_resources
                .entry(customers[*c])
                .or_default()
                .push(r as u32);
        }
        resources.push(id);
        resource_type.push(rtype);
    }

    // Grants: the first gives `All` read access below one customer; then users (60%) and
    // groups, on customers (10%), resource groups (40%) and resources, with a custom role
    // (80%), a built-in one (10%) or inline permissions; 10% deny, 5% bounded in time.
    let mut grants = Vec::with_capacity(max_grants);
    let grant = |subject, subject_kind, role, permissions, scope, scope_kind, effect| Grant {
        id: Id::nil(),
        tenant,
        subject,
        subject_kind,
        role,
        permissions,
        scope,
        scope_kind,
        effect,
        valid_from: None,
        valid_until: None,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let mut first = grant(
        all,
        SubjectKind::Group,
        Some(builtin::VIEWER_ROLE),
        Vec::new(),
        customers[rng.gen_range(0..TOP_CUSTOMERS)],
        ScopeKind::Node,
        Effect::Allow,
    );
    first.id = Id::from_u128(rng.gen());
    grants.push(first);
    while grants.len() < max_grants {
        let (subject, subject_kind) = if rng.gen_bool(0.6) {
            (users[rng.gen_range(0..USERS)], SubjectKind::User)
        } else {
            (
                snap.groups[rng.gen_range(1..snap.groups.len())].id,
                SubjectKind::Group,
            )
        };
        let (scope, scope_kind) = match rng.gen_range(0..10) {
            0 => (customers[rng.gen_range(0..CUSTOMERS)], ScopeKind::Node),
            1..=4 => (
                rgs[rng.gen_range(0..RESOURCE_GROUPS)],
                ScopeKind::ResourceGroup,
            ),
            _ => (resources[rng.gen_range(0..RESOURCES)], ScopeKind::Resource),
        };
        let (role, permissions) = match rng.gen_range(0..10) {
            0 => (
                Some(if rng.gen_bool(0.5) {
                    builtin::VIEWER_ROLE
                } else {
                    builtin::EDITOR_ROLE
                }),
                Vec::new(),
            ),
            1 => {
                let n = rng.gen_range(1..=2);
                let perms = PERMISSIONS
                    .choose_multiple(&mut rng, n)
                    .map(|p| (*p).to_string())
                    .collect();
                (None, perms)
            }
            _ => (Some(roles[rng.gen_range(0..ROLES)]), Vec::new()),
        };
        let effect = if rng.gen_bool(DENY) {
            Effect::Deny
        } else {
            Effect::Allow
        };
        let mut g = grant(
            subject,
            subject_kind,
            role,
            permissions,
            scope,
            scope_kind,
            effect,
        );
        g.id = Id::from_u128(rng.gen());
        (g.valid_from, g.valid_until) = window(&mut rng, 0.05, at);
        grants.push(g);
    }

    World {
        user_index: users
            .iter()
            .enumerate()
            .map(|(i, u)| (*u, i as u32))
            .collect(),
        resource_index: resources
            .iter()
            .enumerate()
            .map(|(i, r)| (*r, i as u32))
            .collect(),
        base: snap,
        grants,
        at,
        users,
        user_active,
        group_members,
        resources,
        resource_type,
        rg_members,
        node_resources,
        role_permissions,
    }
}

impl World {
    /// The snapshot with the first `n` grants.
    pub(crate) fn snapshot(&self, n: usize) -> AccessSnapshot {
        let mut s = self.base.clone();
        s.grants = self.grants[..n].to_vec();
        s
    }

    /// The allow-only subset of the first `n` grants: deny grants dropped, and every time
    /// window (of grants and memberships) removed.
    fn allow_only(&self, n: usize) -> AccessSnapshot {
        let mut s = self.base.clone();
        for m in &mut s.memberships {
            m.valid_from = None;
            m.valid_until = None;
        }
        s.grants = self.grants[..n]
            .iter()
            .filter(|g| g.effect == Effect::Allow)
            .map(|g| Grant {
                valid_from: None,
                valid_until: None,
                ..g.clone()
            })
            .collect();
        s
    }

    /// A grant's permissions, canonical.
    fn permissions<'a>(&'a self, g: &'a Grant) -> &'a [String] {
        match g.role {
            Some(r) => self.role_permissions.get(&r).map_or(&[], |p| p.as_slice()),
            None => &g.permissions,
        }
    }

    fn actions_of(rtype: &str) -> &'static [&'static str] {
        TYPES
            .iter()
            .find(|(t, _)| *t == rtype)
            .map_or(&[], |(_, a)| *a)
    }

    /// `n` questions: half aimed at a grant (a user it reaches, a resource in its scope, an
    /// action of one of its permissions where the type has it), half at random.
    pub(crate) fn questions(&self, grants: &[Grant], n: usize, seed: u64) -> Vec<Question> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let mut user = rng.gen_range(0..USERS) as u32;
            let mut resource = rng.gen_range(0..RESOURCES) as u32;
            let mut wanted: Option<&str> = None;
            if rng.gen_bool(0.5) {
                if let Some(g) = grants.choose(&mut rng) {
                    if let Some(u) = self.user_index.get(&g.subject) {
                        user = *u;
                    } else if let Some(m) = self.group_members.get(&g.subject) {
                        user = m.choose(&mut rng).copied().unwrap_or(user);
                    }
                    let in_scope = match g.scope_kind {
                        ScopeKind::Resource => self.resource_index.get(&g.scope).copied(),
                        ScopeKind::ResourceGroup => self
                            .rg_members
                            .get(&g.scope)
                            .and_then(|m| m.choose(&mut rng).copied()),
                        _ => self
                            .node_resources
                            .get(&g.scope)
                            .and_then(|m| m.choose(&mut rng).copied()),
                    };
                    resource = in_scope.unwrap_or(resource);
                    wanted = self
                        .permissions(g)
                        .choose(&mut rng)
                        .and_then(|p| p.split_once(':'))
                        .map(|(_, a)| a);
                }
            }
            let actions = Self::actions_of(self.resource_type[resource as usize]);
            let action = match wanted.and_then(|w| actions.iter().find(|a| **a == w)) {
                Some(a) => *a,
                None => match actions.choose(&mut rng) {
                    Some(a) => *a,
                    None => continue,
                },
            };
            out.push(Question {
                user,
                resource,
                action,
            });
        }
        out
    }
}

/// Roster's own figures at one grant count.
struct Own {
    grants: usize,
    build: Duration,
    heap: f64,
    rss: f64,
    check: Summary,
    per_second: f64,
    allowed: f64,
}

/// The side-by-side figures at one grant count.
struct Compared {
    grants: usize,
    allow_grants: usize,
    casbin_rules: usize,
    cedar_policies: usize,
    questions: usize,
    allowed: f64,
    roster: Summary,
    casbin: Summary,
    cedar: Summary,
    casbin_build: Duration,
    cedar_build: Duration,
}

/// Asks every question, timing each call on its own.
fn time_each(qs: &[Question], ask: impl Fn(&Question) -> bool) -> Summary {
    let mut samples = Vec::with_capacity(qs.len());
    for q in qs {
        let t = Instant::now();
        let a = ask(q);
        samples.push(t.elapsed());
        black_box(a);
    }
    summarise(&mut samples)
}

fn measure_own(w: &World, n: usize, questions: usize) -> Result<Own> {
    let heap0 = live_bytes();
    let snapshot = w.snapshot(n);
    let rss0 = rss_bytes();
    let t = Instant::now();
    let ix = AccessIndex::build(snapshot);
    let build = t.elapsed();
    let (heap, rss) = (
        live_bytes().saturating_sub(heap0) as f64,
        rss_bytes().saturating_sub(rss0) as f64,
    );
    let qs = w.questions(&w.grants[..n], questions, SEED + n as u64);
    let at = micros(w.at);
    let ask = |q: &Question| {
        ix.check(
            w.users[q.user as usize],
            q.action,
            w.resources[q.resource as usize],
            at,
        )
    };
    let allowed = qs.iter().filter(|q| ask(q)).count() as f64 / qs.len().max(1) as f64;
    let check = time_each(&qs, ask);
    const PASSES: usize = 5;
    let t = Instant::now();
    for _ in 0..PASSES {
        for q in &qs {
            black_box(ask(q));
        }
    }
    let per_second = (PASSES * qs.len()) as f64 / t.elapsed().as_secs_f64();
    Ok(Own {
        grants: n,
        build,
        heap: mib(heap),
        rss: mib(rss),
        check,
        per_second,
        allowed,
    })
}

/// casbin: the model above, rules and links from the allow-only snapshot. Inactive users get
/// no links and their own grants no rules (roster denies them everything).
async fn casbin_enforcer(w: &World, s: &AccessSnapshot) -> Result<(Enforcer, usize)> {
    let model = DefaultModel::from_str(CASBIN_MODEL).await?;
    let mut e = Enforcer::new(model, MemoryAdapter::default()).await?;
    let inactive: FxHashSet<Id> = s.users.iter().filter(|u| !u.active).map(|u| u.id).collect();
    let mut rules: HashSet<Vec<String>> = HashSet::new();
    for g in &s.grants {
        if inactive.contains(&g.subject) {
            continue;
        }
        for p in w.permissions(g) {
            let Ok(p) = Permission::parse(p) else {
                continue;
            };
            rules.insert(vec![
                g.subject.to_string(),
                g.scope.to_string(),
                p.rtype.as_deref().unwrap_or("*").to_string(),
                p.action.as_deref().unwrap_or("*").to_string(),
            ]);
        }
    }
    let count = rules.len();
    e.add_policies(rules.into_iter().collect()).await?;
    let all = s
        .groups
        .iter()
        .find(|g| g.kind == GroupKind::All)
        .map(|g| g.id.to_string());
    let mut members: Vec<Vec<String>> = s
        .memberships
        .iter()
        .filter(|m| !inactive.contains(&m.user))
        .map(|m| vec![m.user.to_string(), m.group.to_string()])
        .collect();
    if let Some(all) = all {
        members.extend(
            s.users
                .iter()
                .filter(|u| u.active)
                .map(|u| vec![u.id.to_string(), all.clone()]),
        );
    }
    e.add_named_grouping_policies("g", members).await?;
    let mut within: Vec<Vec<String>> = Vec::new();
    for (g, r) in &s.resource_group_members {
        within.push(vec![r.to_string(), g.to_string()]);
    }
    for r in &s.resources {
        within.push(vec![r.id.to_string(), r.owner.to_string()]);
    }
    for n in &s.nodes {
        if let Some(p) = n.parent {
            within.push(vec![n.id.to_string(), p.to_string()]);
        }
    }
    e.add_named_grouping_policies("g2", within).await?;
    Ok((e, count))
}

/// Cedar's entity types and the uid of one entity.
struct CedarTypes {
    user: EntityTypeName,
    group: EntityTypeName,
    resource: EntityTypeName,
    resource_group: EntityTypeName,
    node: EntityTypeName,
    action: EntityTypeName,
}

impl CedarTypes {
    fn new() -> Result<Self> {
        let t = |s: &str| EntityTypeName::from_str(s).context("cedar type name");
        Ok(CedarTypes {
            user: t("User")?,
            group: t("Group")?,
            resource: t("Resource")?,
            resource_group: t("ResourceGroup")?,
            node: t("Node")?,
            action: t("Action")?,
        })
    }

    fn uid(t: &EntityTypeName, id: impl AsRef<str>) -> EntityUid {
        EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id))
    }
}

/// Cedar: users in their groups (and `All`), resources in their resource groups and owner,
/// org nodes in their parent, `type:action` actions in `type:*`, `*:action` and `*:*`; one
/// `permit` per grant.
fn cedar_store(
    w: &World,
    s: &AccessSnapshot,
    ty: &CedarTypes,
) -> Result<(PolicySet, Entities, usize)> {
    let mut entities: Vec<Entity> = Vec::new();
    let mut user_parents: FxHashMap<Id, HashSet<EntityUid>> = FxHashMap::default();
    let all = s.groups.iter().find(|g| g.kind == GroupKind::All);
    for u in s.users.iter().filter(|u| u.active) {
        let set = user_parents.entry(u.id).or_default();
        if let Some(all) = all {
            set.insert(CedarTypes::uid(&ty.group, all.id.to_string()));
        }
    }
    for m in &s.memberships {
        if let Some(set) = user_parents.get_mut(&m.user) {
            set.insert(CedarTypes::uid(&ty.group, m.group.to_string()));
        }
    }
    for u in &s.users {
        let parents = user_parents.remove(&u.id).unwrap_or_default();
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.user, u.id.to_string()),
            parents,
        ));
    }
    for g in &s.groups {
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.group, g.id.to_string()),
            HashSet::new(),
        ));
    }
    let mut resource_parents: FxHashMap<Id, HashSet<EntityUid>> = FxHashMap::default();
    for (g, r) in &s.resource_group_members {
        resource_parents
            .entry(*r)
            .or_default()
            .insert(CedarTypes::uid(&ty.resource_group, g.to_string()));
    }
    for r in &s.resources {
        let mut parents = resource_parents.remove(&r.id).unwrap_or_default();
        parents.insert(CedarTypes::uid(&ty.node, r.owner.to_string()));
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.resource, r.id.to_string()),
            parents,
        ));
    }
    for g in &s.resource_groups {
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.resource_group, g.id.to_string()),
            HashSet::new(),
        ));
    }
    for n in &s.nodes {
        let parents = n
            .parent
            .map(|p| CedarTypes::uid(&ty.node, p.to_string()))
            .into_iter()
            .collect();
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.node, n.id.to_string()),
            parents,
        ));
    }
    let mut wildcards: HashSet<String> = HashSet::new();
    for (t, actions) in TYPES {
        for a in *actions {
            let parents = [format!("{t}:*"), format!("*:{a}"), "*:*".to_string()];
            entities.push(Entity::new_no_attrs(
                CedarTypes::uid(&ty.action, format!("{t}:{a}")),
                parents
                    .iter()
                    .map(|p| CedarTypes::uid(&ty.action, p))
                    .collect(),
            ));
            wildcards.extend(parents);
        }
    }
    for p in wildcards {
        entities.push(Entity::new_no_attrs(
            CedarTypes::uid(&ty.action, p),
            HashSet::new(),
        ));
    }
    let entities = Entities::from_entities(entities, None).context("cedar entities")?;

    let inactive: FxHashSet<Id> = s.users.iter().filter(|u| !u.active).map(|u| u.id).collect();
    let mut text = String::new();
    let mut count = 0;
    for g in &s.grants {
        if inactive.contains(&g.subject) {
            continue;
        }
        let actions: Vec<String> = w
            .permissions(g)
            .iter()
            .filter_map(|p| Permission::parse(p).ok())
            .map(|p| format!("Action::\"{p}\""))
            .collect();
        if actions.is_empty() {
            continue;
        }
        let principal = match g.subject_kind {
            SubjectKind::User => format!("principal == User::\"{}\"", g.subject),
            SubjectKind::Group => format!("principal in Group::\"{}\"", g.subject),
        };
        let resource = match g.scope_kind {
            ScopeKind::Resource => format!("resource == Resource::\"{}\"", g.scope),
            ScopeKind::ResourceGroup => format!("resource in ResourceGroup::\"{}\"", g.scope),
            ScopeKind::Node | ScopeKind::Project => format!("resource in Node::\"{}\"", g.scope),
        };
        writeln!(
            text,
            "permit({principal}, action in [{}], {resource});",
            actions.join(", ")
        )?;
        count += 1;
    }
    let policies = PolicySet::from_str(&text).context("cedar policies")?;
    Ok((policies, entities, count))
}

async fn compare(w: &World, n: usize, questions: usize) -> Result<Compared> {
    let s = w.allow_only(n);
    let allow_grants = s.grants.len();
    let qs = w.questions(&s.grants, questions, SEED + 7 * n as u64);
    let ix = AccessIndex::build(s.clone());
    let t = Instant::now();
    let (casbin, casbin_rules) = casbin_enforcer(w, &s).await?;
    let casbin_build = t.elapsed();
    let ty = CedarTypes::new()?;
    let t = Instant::now();
    let (policies, entities, cedar_policies) = cedar_store(w, &s, &ty)?;
    let cedar_build = t.elapsed();
    drop(s);

    let at = micros(w.at);
    let roster_ask = |q: &Question| {
        ix.check(
            w.users[q.user as usize],
            q.action,
            w.resources[q.resource as usize],
            at,
        )
    };
    let users: Vec<String> = w.users.iter().map(|u| u.to_string()).collect();
    let resources: Vec<String> = qs
        .iter()
        .map(|q| w.resources[q.resource as usize].to_string())
        .collect();
    let casbin_ask = |i: usize, q: &Question| -> Result<bool> {
        Ok(casbin.enforce((
            users[q.user as usize].as_str(),
            resources[i].as_str(),
            w.resource_type[q.resource as usize],
            q.action,
        ))?)
    };
    let requests: Vec<Request> = qs
        .iter()
        .map(|q| {
            Request::new(
                CedarTypes::uid(&ty.user, &users[q.user as usize]),
                CedarTypes::uid(
                    &ty.action,
                    format!("{}:{}", w.resource_type[q.resource as usize], q.action),
                ),
                CedarTypes::uid(&ty.resource, w.resources[q.resource as usize].to_string()),
                CedarContext::empty(),
                None,
            )
            .context("cedar request")
        })
        .collect::<Result<_>>()?;
    let authorizer = Authorizer::new();
    let cedar_ask = |i: usize| {
        authorizer
            .is_authorized(&requests[i], &policies, &entities)
            .decision()
            == Decision::Allow
    };

    // Every engine answers every question in turn, each call timed on its own: roster's calls
    // run with caches cooled by the other two.
    let mut mismatches = Vec::new();
    let (mut roster_t, mut casbin_t, mut cedar_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut allowed = 0;
    for (i, q) in qs.iter().enumerate() {
        let t = Instant::now();
        let r = roster_ask(q);
        roster_t.push(t.elapsed());
        let t = Instant::now();
        let c = casbin_ask(i, q)?;
        casbin_t.push(t.elapsed());
        let t = Instant::now();
        let d = cedar_ask(i);
        cedar_t.push(t.elapsed());
        allowed += usize::from(r);
        if r != c || r != d {
            mismatches.push(format!(
                "user {} {} on {} ({}): roster {r}, casbin {c}, cedar {d}",
                w.users[q.user as usize],
                q.action,
                w.resources[q.resource as usize],
                w.resource_type[q.resource as usize],
            ));
        }
    }
    if !mismatches.is_empty() {
        bail!(
            "{} of {} answers differ at {n} grants, e.g.:\n{}",
            mismatches.len(),
            qs.len(),
            mismatches[..mismatches.len().min(5)].join("\n")
        );
    }
    Ok(Compared {
        grants: n,
        allow_grants,
        casbin_rules,
        cedar_policies,
        questions: qs.len(),
        allowed: allowed as f64 / qs.len().max(1) as f64,
        roster: summarise(&mut roster_t),
        casbin: summarise(&mut casbin_t),
        cedar: summarise(&mut cedar_t),
        casbin_build,
        cedar_build,
    })
}

fn ns(d: Duration) -> String {
    d.as_nanos().to_string()
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.0}×", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// Runs the benchmark at each grant count and returns the markdown section. `questions`
/// timed checks per count for roster; `to_compare` questions answered by all three engines at
/// the smallest count, proportionally fewer at larger ones.
pub async fn run(grant_counts: &[usize], questions: usize, to_compare: usize) -> Result<String> {
    let mut counts = grant_counts.to_vec();
    counts.sort_unstable();
    counts.dedup();
    let (Some(&smallest), Some(&largest)) = (counts.first(), counts.last()) else {
        bail!("no grant count given");
    };
    if smallest == 0 {
        bail!("grant counts must be positive");
    }
    eprintln!("access: generating the tenant and {largest} grants");
    let t = Instant::now();
    let w = generate(largest);
    let generated = t.elapsed();
    let active = w.user_active.iter().filter(|a| **a).count();

    let mut own = Vec::new();
    for &n in &counts {
        eprintln!("access: roster at {n} grants");
        own.push(measure_own(&w, n, questions)?);
    }
    let mut compared = Vec::new();
    for &n in &counts {
        let k = (to_compare * smallest / n)
            .max(MIN_COMPARED)
            .min(to_compare);
        eprintln!("access: roster, casbin and cedar at {n} grants, {k} questions");
        compared.push(compare(&w, n, k).await?);
    }

    let mut out = String::new();
    writeln!(out, "## Access checks (issue 3)\n")?;
    writeln!(
        out,
        "Machine: {}. Reproduce: `cargo run --release -p roster-bench -- access`.\n",
        crate::report::machine()
    )?;
    writeln!(out, "Dataset (seed {SEED}, generated in {:.1} s): one tenant with {CUSTOMERS} customers ({TOP_CUSTOMERS} at the top, the rest nested up to {MAX_DEPTH} deep), {USERS} users owned by customers ({active} active), {GROUPS} groups owned by customers with ~{MEMBERSHIPS_PER_USER} memberships per user (3% bounded in time), {ROLES} custom roles of 1–3 permissions over `device:read|write|rpc`, `dashboard:read|write`, `service:read|use` (some `device:*`, `*:read`), {RESOURCES} resources in {RESOURCE_GROUPS} resource groups. Grants: 60% to users, 40% to groups, on customers (10%), resource groups (40%) or single resources (50%), 10% deny, 5% bounded in time; the first count's grants are a prefix of the next. Questions: half aimed at a random grant (a user it reaches, a resource in its scope, one of its actions), half uniformly random; each call timed alone with `Instant` (which itself costs ~20–40 ns), single thread.\n", generated.as_secs_f64())?;
    writeln!(out, "### roster's index\n")?;
    writeln!(out, "| grants | build index (s) | index heap (MiB) | RSS growth (MiB) | questions | allowed | check p50 / p99 / p999 (ns) | checks/s (1 thread) |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for o in &own {
        writeln!(
            out,
            "| {} | {:.2} | {:.0} | {:.0} | {questions} | {:.0}% | {} / {} / {} | {:.2} M |",
            o.grants,
            o.build.as_secs_f64(),
            o.heap,
            o.rss,
            o.allowed * 100.0,
            ns(o.check.p50),
            ns(o.check.p99),
            ns(o.check.p999),
            o.per_second / 1e6,
        )?;
    }
    writeln!(out, "\nIndex heap: bytes allocated and still held after `AccessIndex::build` (counted by the harness's allocator). RSS growth: the process's resident set after the build minus before it, with the snapshot already in memory and consumed by the build.\n")?;
    writeln!(
        out,
        "### Side by side: roster, casbin, Cedar on the allow-only subset\n"
    )?;
    writeln!(out, "The same grants without the deny ones and without time windows, encoded for casbin {} (model: `g` user→group, `g2` resource→resource group, resource→owner, node→parent; one `p` rule per grant and permission, `*` matching any type or action) and Cedar {} (entities with parents: users in their groups and `All`, resources in their resource groups and owner, nodes in their parent, `type:action` in `type:*`, `*:action`, `*:*`; one `permit` per grant). Inactive users hold nothing in either. Every question is answered by all three and the answers asserted identical before any figure is written; casbin and Cedar scan every rule per question, so larger counts are compared on fewer questions. The three are asked in turn in one loop, each call timed alone, so roster's calls here run with caches cooled by the other two (the first table has roster on its own). Cedar requests are built outside the timed call.\n", CASBIN_VERSION, CEDAR_VERSION)?;
    writeln!(out, "| grants (allow) | casbin rules / Cedar policies | questions, identical | allowed | roster p50 / p99 (ns) | casbin p50 / p99 (µs) | Cedar p50 / p99 (µs) | casbin ÷ roster p50 | Cedar ÷ roster p50 | casbin / Cedar load (s) |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for c in &compared {
        writeln!(
            out,
            "| {} ({}) | {} / {} | {} ✓ | {:.0}% | {} / {} | {} / {} | {} / {} | {} | {} | {:.1} / {:.1} |",
            c.grants,
            c.allow_grants,
            c.casbin_rules,
            c.cedar_policies,
            c.questions,
            c.allowed * 100.0,
            ns(c.roster.p50),
            ns(c.roster.p99),
            us(c.casbin.p50),
            us(c.casbin.p99),
            us(c.cedar.p50),
            us(c.cedar.p99),
            ratio(c.casbin.p50, c.roster.p50),
            ratio(c.cedar.p50, c.roster.p50),
            c.casbin_build.as_secs_f64(),
            c.cedar_build.as_secs_f64(),
        )?;
    }
    Ok(out)
}

/// The casbin crate measured.
const CASBIN_VERSION: &str = "2.20";
/// The cedar-policy crate measured.
const CEDAR_VERSION: &str = "4.14";
