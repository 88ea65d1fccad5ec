//! The store conformance suite: what every implementation of [`Store`] must do, as async test
//! functions that take a freshly migrated, empty store and panic on failure.
//!
//! A store crate runs the whole suite with [`conformance_tests!`](crate::conformance_tests),
//! which expands to one `#[tokio::test]` per function (so that crate needs `tokio` with the
//! `macros` and `rt` features):
//!
//! ```ignore
//! roster_core::conformance_tests!(my_store_fixture());
//! ```
//!
//! where `my_store_fixture()` is a future yielding a [`Fixture`]. No test relies on what another
//! one left behind, and each inserts the system root itself (the store never creates it).

use crate::ids::{new_id, now, Id, Timestamp, SYSTEM_NODE_ID};
use crate::model::*;
use crate::page::PageReq;
use crate::store::{
    BatchWrite, RowCounts, SignInAttempt, SignInCount, Store, StoreError, StoreTx, TenantScope,
};
use chrono::TimeDelta;
use std::collections::BTreeSet;
use std::time::Duration;

/// A freshly migrated, empty store for one test, with whatever must live as long as it (such
/// as the temporary folder of its database file).
pub trait Fixture {
    /// The store under test.
    fn store(&self) -> &dyn Store;
}

/// Expands to one `#[tokio::test]` per conformance test, each on its own store made by the
/// given expression: a future (evaluated once per test) whose output is a [`Fixture`].
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            org_nodes_round_trip,
            org_query_filters,
            subtree_and_in_use,
            delete_org_node_removes_predefined_groups,
            users_round_trip,
            unique_login_is_case_insensitive,
            user_query_filters,
            common_prefixes_list_like_rare_ones,
            groups_round_trip,
            group_query_filters,
            memberships_round_trip,
            delete_user_removes_memberships_and_tokens,
            delete_group_removes_memberships,
            tokens_round_trip,
            audit_newest_first_with_filters,
            tenant_scoping,
            lists_page_in_id_order,
            rollback_on_drop,
            read_is_a_snapshot,
            read_rejects_writes,
            writers_take_turns,
            consistency_problems_found,
            bulk_inserts,
            row_counts_cover_every_tenant,
            users_with_hashes_page_across_tenants,
            all_memberships_page_in_key_order,
            all_tokens_page_with_hashes,
            audit_events_insert_in_bulk,
            login_attempts_count_atomically,
            resource_types_round_trip,
            resources_round_trip,
            resource_query_filters,
            resource_groups_round_trip,
            projects_round_trip,
            roles_round_trip,
            grants_round_trip,
            access_tenant_scoping,
            delete_user_removes_grants_and_project_memberships,
            delete_group_removes_grants_and_attachments,
            delete_org_node_removes_grants_on_it,
            access_change_log_versions,
            access_versions_commit_in_order,
            access_snapshot_contents,
            access_consistency_problems_found,
            second_factors_round_trip,
            settings_round_trip,
            email_factors_round_trip,
            sign_in_state_reads_factors_and_policy,
            count_sign_in_attempt_counts_and_reads,
            login_record_beside_a_writer,
            write_batch_is_all_or_nothing,
            write_batch_upgrades_a_hash_only_from_the_one_read,
            sign_in_tokens_need_an_active_user,
            bulk_load_writes_what_rows_would,
            bulk_load_keeps_the_rules,
        );
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let fixture = $make.await;
                $crate::conformance::$name($crate::conformance::Fixture::store(&fixture)).await;
            }
        )+
    };
}

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const ALL: TenantScope = TenantScope::All;

fn first(limit: u32) -> PageReq {
    PageReq { after: None, limit }
}

fn after(id: Id, limit: u32) -> PageReq {
    PageReq {
        after: Some(id),
        limit,
    }
}

fn later(seconds: i64) -> Timestamp {
    now() + TimeDelta::seconds(seconds)
}

async fn write(store: &dyn Store) -> Box<dyn StoreTx> {
    store.write().await.expect("begin a write transaction")
}

async fn read(store: &dyn Store) -> Box<dyn StoreTx> {
    store.read().await.expect("begin a read transaction")
}

async fn commit(tx: Box<dyn StoreTx>) {
    tx.commit().await.expect("commit");
}

fn root_node() -> OrgNode {
    let at = now();
    OrgNode {
        id: SYSTEM_NODE_ID,
        kind: OrgKind::System,
        name: "System".into(),
        parent: None,
        tenant: SYSTEM_NODE_ID,
        path: vec![SYSTEM_NODE_ID],
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn child_node(parent: &OrgNode, kind: OrgKind, name: &str) -> OrgNode {
    let id = new_id();
    let mut path = parent.path.clone();
    path.push(id);
    let at = now();
    OrgNode {
        id,
        kind,
        name: name.into(),
        parent: Some(parent.id),
        tenant: if kind == OrgKind::Tenant {
            id
        } else {
            parent.tenant
        },
        path,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn user_of(owner: &OrgNode, login: &str) -> User {
    let at = now();
    User {
        id: new_id(),
        tenant: owner.tenant,
        owner: owner.id,
        login: login.into(),
        email: None,
        email_verified: false,
        first_name: None,
        last_name: None,
        phone: None,
        kind: UserKind::Internal,
        status: UserStatus::Active,
        must_change_password: false,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn group_of(owner: &OrgNode, kind: GroupKind, name: &str) -> Group {
    let at = now();
    Group {
        id: new_id(),
        tenant: owner.tenant,
        owner: owner.id,
        name: name.into(),
        description: String::new(),
        level: GroupLevel::Org,
        kind,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn membership(group: &Group, user: &User) -> Membership {
    Membership {
        group: group.id,
        user: user.id,
        tenant: user.tenant,
        valid_from: None,
        valid_until: None,
        created_at: now(),
    }
}

fn token_of(user: &User, kind: TokenKind) -> TokenRecord {
    let at = now();
    TokenRecord {
        id: new_id(),
        user: user.id,
        tenant: user.tenant,
        kind,
        name: None,
        created_at: at,
        expires_at: at + TimeDelta::hours(1),
        last_used_at: at,
        impersonator: None,
    }
}

fn event(tenant: Id, action: &str, time: Timestamp) -> AuditEvent {
    AuditEvent {
        id: new_id(),
        time,
        tenant,
        actor: None,
        impersonator: None,
        action: action.into(),
        target: None,
        summary: serde_json::json!({}),
        request_id: None,
        address: None,
    }
}

/// The predefined groups an org node must have.
fn predefined_groups(node: &OrgNode) -> Vec<Group> {
    let kinds: &[GroupKind] = match node.kind {
        OrgKind::Tenant => &[GroupKind::Administrators, GroupKind::Users, GroupKind::All],
        OrgKind::Customer => &[GroupKind::Administrators, GroupKind::Users],
        OrgKind::System => &[],
    };
    kinds
        .iter()
        .map(|&k| group_of(node, k, &format!("{} {}", node.name, k.as_str())))
        .collect()
}

/// Inserts a node with its predefined groups.
async fn add_node(tx: &mut dyn StoreTx, node: &OrgNode) {
    tx.insert_org_node(node).await.expect("insert org node");
    for g in predefined_groups(node) {
        tx.insert_group(&g).await.expect("insert predefined group");
    }
}

/// A consistent little world: the root, tenants A and B, and a customer of A, each with their
/// predefined groups.
struct World {
    root: OrgNode,
    a: OrgNode,
    b: OrgNode,
    customer: OrgNode,
}

async fn seed(store: &dyn Store) -> World {
    let root = root_node();
    let a = child_node(&root, OrgKind::Tenant, "Tenant A");
    let b = child_node(&root, OrgKind::Tenant, "Tenant B");
    let customer = child_node(&a, OrgKind::Customer, "Customer of A");
    let mut tx = write(store).await;
    for node in [&root, &a, &b, &customer] {
        add_node(tx.as_mut(), node).await;
    }
    commit(tx).await;
    World {
        root,
        a,
        b,
        customer,
    }
}

/// Inserts users in one committed transaction.
async fn add_users(store: &dyn Store, users: &[&User]) {
    let mut tx = write(store).await;
    for u in users {
        tx.insert_user(u, None).await.expect("insert user");
    }
    commit(tx).await;
}

fn ids<T>(rows: &[T], id: impl Fn(&T) -> Id) -> Vec<Id> {
    rows.iter().map(id).collect()
}

fn user_ids(rows: &[User]) -> Vec<Id> {
    ids(rows, |u| u.id)
}

fn group_ids(rows: &[Group]) -> Vec<Id> {
    ids(rows, |g| g.id)
}

fn node_ids(rows: &[OrgNode]) -> Vec<Id> {
    ids(rows, |n| n.id)
}

fn sorted(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort();
    ids
}

async fn list_users(tx: &mut dyn StoreTx, scope: TenantScope, query: UserQuery) -> Vec<Id> {
    user_ids(
        &tx.list_users(scope, &query, first(100))
            .await
            .expect("list users"),
    )
}

async fn list_groups(tx: &mut dyn StoreTx, scope: TenantScope, query: GroupQuery) -> Vec<Id> {
    group_ids(
        &tx.list_groups(scope, &query, first(100))
            .await
            .expect("list groups"),
    )
}

async fn list_nodes(tx: &mut dyn StoreTx, scope: TenantScope, query: OrgQuery) -> Vec<Id> {
    node_ids(
        &tx.list_org_nodes(scope, &query, first(100))
            .await
            .expect("list org nodes"),
    )
}

/// Ids that name nothing, to pad id lists past any bound-parameter limit.
fn unknown_ids(n: usize) -> Vec<Id> {
    (0..n).map(|_| new_id()).collect()
}

// ---------------------------------------------------------------------------------------------
// Org tree
// ---------------------------------------------------------------------------------------------

/// Nodes read back equal; updates write name, version and `updated_at`; sibling names are
/// unique case-insensitively.
pub async fn org_nodes_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let mut tx = read(store).await;
    for node in [&w.root, &w.a, &w.b, &w.customer] {
        assert_eq!(
            tx.get_org_node(ALL, node.id).await.unwrap().as_ref(),
            Some(node)
        );
    }
    assert_eq!(tx.get_org_node(ALL, new_id()).await.unwrap(), None);
    drop(tx);

    let mut renamed = w.customer.clone();
    renamed.name = "Renamed Customer".into();
    renamed.version = 2;
    renamed.updated_at = later(5);
    let mut tx = write(store).await;
    tx.update_org_node(&renamed).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(
        tx.get_org_node(ALL, renamed.id).await.unwrap(),
        Some(renamed.clone())
    );
    drop(tx);

    let mut tx = write(store).await;
    let clash = child_node(&w.root, OrgKind::Tenant, "TENANT a");
    match tx.insert_org_node(&clash).await {
        Err(StoreError::Unique("name")) => {}
        other => panic!("a sibling with the same name (any case) must be refused: {other:?}"),
    }
    drop(tx);
    let mut tx = write(store).await;
    let cousin = child_node(&w.customer, OrgKind::Customer, "Tenant A");
    tx.insert_org_node(&cousin)
        .await
        .expect("the same name below another parent is fine");
    commit(tx).await;
}

/// Org listing by kind, parent, subtrees and name prefix.
pub async fn org_query_filters(store: &dyn Store) {
    let w = seed(store).await;
    let deep = child_node(&w.customer, OrgKind::Customer, "Deep");
    let mut tx = write(store).await;
    add_node(tx.as_mut(), &deep).await;
    commit(tx).await;

    let mut tx = read(store).await;
    let tx = tx.as_mut();
    let q = |f: fn(&mut OrgQuery)| {
        let mut q = OrgQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        list_nodes(tx, ALL, OrgQuery::default()).await,
        sorted(vec![w.root.id, w.a.id, w.b.id, w.customer.id, deep.id])
    );
    assert_eq!(
        list_nodes(tx, ALL, q(|q| q.kind = Some(OrgKind::Tenant))).await,
        sorted(vec![w.a.id, w.b.id])
    );
    let by_parent = OrgQuery {
        parent: Some(w.a.id),
        ..OrgQuery::default()
    };
    assert_eq!(list_nodes(tx, ALL, by_parent).await, vec![w.customer.id]);
    let within = |nodes: Vec<Id>| OrgQuery {
        within: Some(nodes),
        ..OrgQuery::default()
    };
    assert_eq!(
        list_nodes(tx, ALL, within(vec![w.a.id])).await,
        sorted(vec![w.a.id, w.customer.id, deep.id])
    );
    assert_eq!(
        list_nodes(tx, ALL, within(vec![w.customer.id, w.a.id, w.b.id])).await,
        sorted(vec![w.a.id, w.b.id, w.customer.id, deep.id]),
        "overlapping subtrees list each node once"
    );
    assert_eq!(
        list_nodes(tx, ALL, within(vec![deep.id])).await,
        vec![deep.id]
    );
    assert!(list_nodes(tx, ALL, within(vec![])).await.is_empty());
    assert!(list_nodes(tx, ALL, within(vec![new_id()])).await.is_empty());
    let mut many = unknown_ids(600);
    many.push(w.customer.id);
    assert_eq!(
        list_nodes(tx, ALL, within(many)).await,
        sorted(vec![w.customer.id, deep.id])
    );
    let prefix = |p: &str| OrgQuery {
        name_prefix: Some(p.into()),
        ..OrgQuery::default()
    };
    assert_eq!(
        list_nodes(tx, ALL, prefix("tenant")).await,
        sorted(vec![w.a.id, w.b.id])
    );
    assert_eq!(list_nodes(tx, ALL, prefix("tenant b")).await, vec![w.b.id]);
    assert_eq!(list_nodes(tx, ALL, prefix("de")).await, vec![deep.id]);
    assert!(list_nodes(tx, ALL, prefix("x")).await.is_empty());
    let combined = OrgQuery {
        kind: Some(OrgKind::Customer),
        within: Some(vec![w.a.id]),
        name_prefix: Some("cust".into()),
        ..OrgQuery::default()
    };
    assert_eq!(list_nodes(tx, ALL, combined).await, vec![w.customer.id]);
}

/// Subtrees include the node itself; a node is in use while it holds child nodes, users or
/// custom groups, and predefined groups alone do not count.
pub async fn subtree_and_in_use(store: &dyn Store) {
    let w = seed(store).await;
    let deep = child_node(&w.customer, OrgKind::Customer, "Deep");
    let mut tx = write(store).await;
    add_node(tx.as_mut(), &deep).await;
    commit(tx).await;

    let mut tx = write(store).await;
    let set = |v: Vec<Id>| v.into_iter().collect::<BTreeSet<_>>();
    assert_eq!(
        set(tx.subtree_ids(w.a.id).await.unwrap()),
        set(vec![w.a.id, w.customer.id, deep.id])
    );
    assert_eq!(
        set(tx.subtree_ids(w.customer.id).await.unwrap()),
        set(vec![w.customer.id, deep.id])
    );
    assert_eq!(tx.subtree_ids(w.b.id).await.unwrap(), vec![w.b.id]);
    assert_eq!(tx.subtree_ids(SYSTEM_NODE_ID).await.unwrap().len(), 5);
    assert!(tx.subtree_ids(new_id()).await.unwrap().is_empty());

    assert!(
        tx.org_node_in_use(w.customer.id).await.unwrap(),
        "has a child"
    );
    assert!(
        !tx.org_node_in_use(deep.id).await.unwrap(),
        "only predefined groups"
    );
    let u = user_of(&deep, "deep-user");
    tx.insert_user(&u, None).await.unwrap();
    assert!(tx.org_node_in_use(deep.id).await.unwrap(), "owns a user");
    tx.delete_user(u.id).await.unwrap();
    assert!(!tx.org_node_in_use(deep.id).await.unwrap());
    let g = group_of(&deep, GroupKind::Custom, "Custom");
    tx.insert_group(&g).await.unwrap();
    assert!(
        tx.org_node_in_use(deep.id).await.unwrap(),
        "owns a custom group"
    );
    tx.delete_group(g.id).await.unwrap();
    assert!(!tx.org_node_in_use(deep.id).await.unwrap());
}

/// Deleting a node takes its predefined groups (and their memberships) with it.
pub async fn delete_org_node_removes_predefined_groups(store: &dyn Store) {
    let w = seed(store).await;
    let deep = child_node(&w.customer, OrgKind::Customer, "Deep");
    let member = user_of(&w.customer, "member");
    let mut tx = write(store).await;
    add_node(tx.as_mut(), &deep).await;
    tx.insert_user(&member, None).await.unwrap();
    let users = tx
        .predefined_group(deep.id, GroupKind::Users)
        .await
        .unwrap()
        .expect("the Users group of the new node");
    tx.upsert_membership(&membership(&users, &member))
        .await
        .unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    tx.delete_org_node(deep.id).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_org_node(ALL, deep.id).await.unwrap(), None);
    assert_eq!(tx.get_group(ALL, users.id).await.unwrap(), None);
    for kind in [GroupKind::Administrators, GroupKind::Users] {
        assert_eq!(tx.predefined_group(deep.id, kind).await.unwrap(), None);
    }
    assert!(tx.memberships_of_user(member.id).await.unwrap().is_empty());
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

/// Every field of a user survives insert, update and read; logins are found in any case; the
/// password hash is kept apart.
pub async fn users_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let full = User {
        email: Some("Alice.Liddell@Example.org".into()),
        email_verified: true,
        first_name: Some("Alice".into()),
        last_name: Some("Liddell".into()),
        phone: Some("+44 20 7946 0000".into()),
        kind: UserKind::External,
        status: UserStatus::Disabled,
        must_change_password: true,
        version: 3,
        updated_at: later(1),
        ..user_of(&w.customer, "Alice")
    };
    let bare = User {
        status: UserStatus::Pending,
        ..user_of(&w.a, "bare")
    };
    let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    let mut tx = write(store).await;
    tx.insert_user(&full, Some(hash)).await.unwrap();
    tx.insert_user(&bare, None).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_user(ALL, full.id).await.unwrap(), Some(full.clone()));
    assert_eq!(tx.get_user(ALL, bare.id).await.unwrap(), Some(bare.clone()));
    assert_eq!(tx.get_user(ALL, new_id()).await.unwrap(), None);
    assert_eq!(
        tx.get_user_by_login("aLICE").await.unwrap(),
        Some(full.clone())
    );
    assert_eq!(tx.get_user_by_login("nobody").await.unwrap(), None);
    assert_eq!(
        tx.password_hash(full.id).await.unwrap().as_deref(),
        Some(hash)
    );
    assert_eq!(tx.password_hash(bare.id).await.unwrap(), None);
    assert_eq!(
        tx.login_record("Alice").await.unwrap(),
        Some((full.clone(), Some(hash.to_string())))
    );
    assert_eq!(
        tx.login_record("BARE").await.unwrap(),
        Some((bare.clone(), None))
    );
    assert_eq!(tx.login_record("nobody").await.unwrap(), None);
    drop(tx);

    let changed = User {
        login: "Alice2".into(),
        email: None,
        email_verified: false,
        first_name: Some("Alicia".into()),
        last_name: None,
        phone: None,
        kind: UserKind::Internal,
        status: UserStatus::Active,
        must_change_password: false,
        version: 4,
        updated_at: later(2),
        ..full.clone()
    };
    let mut tx = write(store).await;
    tx.update_user(&changed).await.unwrap();
    tx.set_password_hash(bare.id, Some("new-hash"))
        .await
        .unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_user(ALL, full.id).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        tx.password_hash(full.id).await.unwrap().as_deref(),
        Some(hash),
        "update_user leaves the password hash alone"
    );
    assert_eq!(
        tx.password_hash(bare.id).await.unwrap().as_deref(),
        Some("new-hash")
    );
    assert_eq!(tx.get_user_by_login("alice").await.unwrap(), None);
    assert_eq!(
        tx.get_user_by_login("ALICE2").await.unwrap(),
        Some(changed.clone())
    );
    let found = tx
        .list_users(
            ALL,
            &UserQuery {
                prefix: Some("alicia".into()),
                ..UserQuery::default()
            },
            first(10),
        )
        .await
        .unwrap();
    assert_eq!(found, vec![changed], "search columns follow updates");
    drop(tx);

    let mut tx = write(store).await;
    tx.set_password_hash(full.id, None).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.password_hash(full.id).await.unwrap(), None);
}

/// Logins are unique install-wide, ignoring case.
pub async fn unique_login_is_case_insensitive(store: &dyn Store) {
    let w = seed(store).await;
    add_users(store, &[&user_of(&w.a, "Bob")]).await;
    let mut tx = write(store).await;
    match tx.insert_user(&user_of(&w.b, "bOB"), None).await {
        Err(StoreError::Unique("login")) => {}
        other => panic!("a login differing only in case must be refused: {other:?}"),
    }
    drop(tx);
    let taken = user_of(&w.b, "other");
    add_users(store, &[&taken]).await;
    let mut tx = write(store).await;
    let renamed = User {
        login: "BOB".into(),
        ..taken
    };
    match tx.update_user(&renamed).await {
        Err(StoreError::Unique("login")) => {}
        other => panic!("renaming onto a taken login must be refused: {other:?}"),
    }
}

/// Every user filter, alone and combined.
pub async fn user_query_filters(store: &dyn Store) {
    let w = seed(store).await;
    let alice = user_of(&w.a, "alice");
    let alias = User {
        email: Some("ALIas@mail.org".into()),
        status: UserStatus::Pending,
        ..user_of(&w.customer, "b2")
    };
    let alina = User {
        first_name: Some("Alina".into()),
        status: UserStatus::Disabled,
        ..user_of(&w.customer, "c3")
    };
    let alibert = User {
        last_name: Some("Alibert".into()),
        ..user_of(&w.a, "d4")
    };
    let bob = User {
        email: Some("bob@x.org".into()),
        first_name: Some("Bob".into()),
        last_name: Some("Smith".into()),
        ..user_of(&w.a, "e5")
    };
    let other_tenant = User {
        first_name: Some("Alistair".into()),
        ..user_of(&w.b, "f6")
    };
    add_users(
        store,
        &[&alice, &alias, &alina, &alibert, &bob, &other_tenant],
    )
    .await;
    let team = group_of(&w.a, GroupKind::Custom, "Team");
    let mut tx = write(store).await;
    tx.insert_group(&team).await.unwrap();
    for u in [&alina, &alice] {
        tx.upsert_membership(&membership(&team, u)).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let tx = tx.as_mut();
    let a = TenantScope::Tenant(w.a.id);
    let prefix = |p: &str| UserQuery {
        prefix: Some(p.into()),
        ..UserQuery::default()
    };
    assert_eq!(
        list_users(tx, a, prefix("ali")).await,
        vec![alice.id, alias.id, alina.id, alibert.id],
        "login, email, first and last name prefixes"
    );
    assert_eq!(
        list_users(tx, ALL, prefix("ali")).await,
        vec![alice.id, alias.id, alina.id, alibert.id, other_tenant.id]
    );
    assert_eq!(list_users(tx, a, prefix("alias@")).await, vec![alias.id]);
    assert_eq!(list_users(tx, a, prefix("smi")).await, vec![bob.id]);
    assert_eq!(list_users(tx, a, prefix("bob")).await, vec![bob.id]);
    assert!(list_users(tx, a, prefix("zz")).await.is_empty());
    assert!(
        list_users(tx, a, prefix("lice")).await.is_empty(),
        "prefix, not substring"
    );

    let owner = UserQuery {
        owner: Some(w.customer.id),
        ..UserQuery::default()
    };
    assert_eq!(list_users(tx, a, owner).await, vec![alias.id, alina.id]);
    let owner_in = |owners: Vec<Id>| UserQuery {
        owner_in: Some(owners),
        ..UserQuery::default()
    };
    assert_eq!(
        list_users(tx, a, owner_in(vec![w.customer.id])).await,
        vec![alias.id, alina.id]
    );
    assert_eq!(
        list_users(tx, ALL, owner_in(vec![w.customer.id, w.b.id])).await,
        vec![alias.id, alina.id, other_tenant.id]
    );
    assert!(list_users(tx, a, owner_in(vec![])).await.is_empty());
    let mut many = unknown_ids(600);
    many.push(w.customer.id);
    assert_eq!(
        list_users(tx, a, owner_in(many)).await,
        vec![alias.id, alina.id],
        "a long owner list"
    );

    let group = UserQuery {
        group: Some(team.id),
        ..UserQuery::default()
    };
    assert_eq!(
        list_users(tx, a, group.clone()).await,
        vec![alice.id, alina.id]
    );
    let page = tx.list_users(a, &group, after(alice.id, 10)).await.unwrap();
    assert_eq!(user_ids(&page), vec![alina.id], "group filter pages too");
    let active_members = UserQuery {
        status: Some(UserStatus::Active),
        ..group.clone()
    };
    assert_eq!(list_users(tx, a, active_members).await, vec![alice.id]);
    assert!(list_users(tx, TenantScope::Tenant(w.b.id), group)
        .await
        .is_empty());

    let status = |s: UserStatus| UserQuery {
        status: Some(s),
        ..UserQuery::default()
    };
    assert_eq!(
        list_users(tx, a, status(UserStatus::Pending)).await,
        vec![alias.id]
    );
    assert_eq!(
        list_users(tx, a, status(UserStatus::Disabled)).await,
        vec![alina.id]
    );
    assert_eq!(
        list_users(tx, a, status(UserStatus::Active)).await,
        vec![alice.id, alibert.id, bob.id]
    );

    let only = UserQuery {
        only: Some(alibert.id),
        ..UserQuery::default()
    };
    assert_eq!(list_users(tx, a, only.clone()).await, vec![alibert.id]);
    let only_elsewhere = UserQuery {
        owner: Some(w.customer.id),
        ..only
    };
    assert!(list_users(tx, a, only_elsewhere).await.is_empty());

    let combined = UserQuery {
        owner_in: Some(vec![w.a.id]),
        prefix: Some("ali".into()),
        ..UserQuery::default()
    };
    assert_eq!(
        list_users(tx, a, combined).await,
        vec![alice.id, alibert.id]
    );
}

/// Every user in scope matching `query`, read a page of `limit` at a time.
async fn all_pages(
    tx: &mut dyn StoreTx,
    scope: TenantScope,
    query: &UserQuery,
    limit: u32,
) -> Vec<Id> {
    let mut found: Vec<Id> = Vec::new();
    loop {
        let page = match found.last() {
            Some(last) => after(*last, limit),
            None => first(limit),
        };
        let rows = tx.list_users(scope, query, page).await.expect("list users");
        let done = rows.len() < limit as usize;
        found.extend(user_ids(&rows));
        if done {
            return found;
        }
    }
}

/// A prefix shared by thousands of users lists, filters and pages exactly like a rare one
/// (a store may plan the two differently).
pub async fn common_prefixes_list_like_rare_ones(store: &dyn Store) {
    let w = seed(store).await;
    let crowd: Vec<User> = (0..2500)
        .map(|i| {
            let owner = if i % 10 == 0 { &w.customer } else { &w.a };
            User {
                last_name: Some("Crowd".into()),
                status: if i % 7 == 0 {
                    UserStatus::Disabled
                } else {
                    UserStatus::Active
                },
                ..user_of(owner, &format!("crowd{i:04}"))
            }
        })
        .collect();
    let elsewhere: Vec<User> = (0..10)
        .map(|i| User {
            first_name: Some("Crowded".into()),
            ..user_of(&w.b, &format!("b{i}"))
        })
        .collect();
    let mut tx = write(store).await;
    let rows: Vec<(User, Option<String>)> = crowd
        .iter()
        .chain(&elsewhere)
        .map(|u| (u.clone(), None))
        .collect();
    tx.insert_users(&rows).await.expect("insert users");
    commit(tx).await;

    let mut tx = read(store).await;
    let tx = tx.as_mut();
    let a = TenantScope::Tenant(w.a.id);
    let ids_where = |keep: &dyn Fn(&User) -> bool| -> Vec<Id> {
        sorted(crowd.iter().filter(|u| keep(u)).map(|u| u.id).collect())
    };
    let prefix = |p: &str| UserQuery {
        prefix: Some(p.into()),
        ..UserQuery::default()
    };
    assert_eq!(
        all_pages(tx, a, &prefix("crowd"), 100).await,
        ids_where(&|_| true),
        "a common prefix, page by page, in the tenant only"
    );
    assert_eq!(
        all_pages(tx, ALL, &prefix("crowd"), 500).await,
        sorted(crowd.iter().chain(&elsewhere).map(|u| u.id).collect()),
        "a common prefix across tenants"
    );
    assert_eq!(
        all_pages(tx, TenantScope::Tenant(w.b.id), &prefix("crowd"), 3).await,
        sorted(elsewhere.iter().map(|u| u.id).collect())
    );
    assert_eq!(
        all_pages(tx, a, &prefix("crowd012"), 4).await,
        ids_where(&|u| u.login.starts_with("crowd012")),
        "a rare prefix, page by page"
    );
    let filtered = |p: &str| UserQuery {
        owner: Some(w.customer.id),
        status: Some(UserStatus::Disabled),
        ..prefix(p)
    };
    let disabled_customers =
        |u: &User| u.owner == w.customer.id && u.status == UserStatus::Disabled;
    assert_eq!(
        all_pages(tx, a, &filtered("crowd"), 7).await,
        ids_where(&disabled_customers)
    );
    assert_eq!(
        all_pages(tx, a, &filtered("crowd1"), 7).await,
        ids_where(&|u| u.login.starts_with("crowd1") && disabled_customers(u))
    );
    let visible = |p: &str| UserQuery {
        owner_in: Some(vec![w.customer.id]),
        ..prefix(p)
    };
    assert_eq!(
        all_pages(tx, a, &visible("crowd"), 50).await,
        ids_where(&|u| u.owner == w.customer.id)
    );
    assert_eq!(
        all_pages(tx, a, &visible("crowd02"), 50).await,
        ids_where(&|u| u.owner == w.customer.id && u.login.starts_with("crowd02"))
    );
}

// ---------------------------------------------------------------------------------------------
// Groups and memberships
// ---------------------------------------------------------------------------------------------

/// Groups read back equal; updates write name, description, version and `updated_at`; names
/// are unique per owner, case-insensitively; predefined groups are found by kind.
pub async fn groups_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let custom = Group {
        description: "People who build things".into(),
        ..group_of(&w.customer, GroupKind::Custom, "Builders")
    };
    let project = Group {
        level: GroupLevel::Project,
        ..group_of(&w.customer, GroupKind::Custom, "Project team")
    };
    let mut tx = write(store).await;
    tx.insert_group(&custom).await.unwrap();
    tx.insert_group(&project).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_group(ALL, custom.id).await.unwrap(),
        Some(custom.clone())
    );
    assert_eq!(
        tx.get_group(ALL, project.id).await.unwrap(),
        Some(project.clone())
    );
    assert_eq!(tx.get_group(ALL, new_id()).await.unwrap(), None);
    let all = tx
        .predefined_group(w.a.id, GroupKind::All)
        .await
        .unwrap()
        .expect("tenant A's All group");
    assert_eq!((all.owner, all.kind), (w.a.id, GroupKind::All));
    assert_eq!(tx.get_group(ALL, all.id).await.unwrap(), Some(all));
    assert_eq!(
        tx.predefined_group(w.customer.id, GroupKind::All)
            .await
            .unwrap(),
        None
    );
    drop(tx);

    let changed = Group {
        name: "Makers".into(),
        description: String::new(),
        version: 2,
        updated_at: later(3),
        ..custom.clone()
    };
    let mut tx = write(store).await;
    tx.update_group(&changed).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_group(ALL, custom.id).await.unwrap(), Some(changed));
    drop(tx);

    let mut tx = write(store).await;
    match tx
        .insert_group(&group_of(&w.customer, GroupKind::Custom, "MAKERS"))
        .await
    {
        Err(StoreError::Unique("name")) => {}
        other => panic!("a group name differing only in case must be refused: {other:?}"),
    }
    drop(tx);
    let mut tx = write(store).await;
    tx.insert_group(&group_of(&w.a, GroupKind::Custom, "Makers"))
        .await
        .expect("the same name under another owner is fine");
    commit(tx).await;
}

/// Every group filter.
pub async fn group_query_filters(store: &dyn Store) {
    let w = seed(store).await;
    let alpha = group_of(&w.customer, GroupKind::Custom, "Alpha");
    let alpine = group_of(&w.customer, GroupKind::Custom, "alpine");
    let beta = group_of(&w.a, GroupKind::Custom, "Beta");
    let member = user_of(&w.a, "member");
    let mut tx = write(store).await;
    for g in [&alpha, &alpine, &beta] {
        tx.insert_group(g).await.unwrap();
    }
    tx.insert_user(&member, None).await.unwrap();
    for g in [&beta, &alpha] {
        tx.upsert_membership(&membership(g, &member)).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let tx = tx.as_mut();
    let a = TenantScope::Tenant(w.a.id);
    let mut customer_groups = Vec::new();
    for kind in [GroupKind::Administrators, GroupKind::Users] {
        let g = tx
            .predefined_group(w.customer.id, kind)
            .await
            .unwrap()
            .unwrap();
        customer_groups.push(g.id);
    }
    customer_groups.extend([alpha.id, alpine.id]);
    let owner = GroupQuery {
        owner: Some(w.customer.id),
        ..GroupQuery::default()
    };
    assert_eq!(
        list_groups(tx, a, owner).await,
        sorted(customer_groups.clone())
    );
    let owner_in = |owners: Vec<Id>| GroupQuery {
        owner_in: Some(owners),
        ..GroupQuery::default()
    };
    assert_eq!(
        list_groups(tx, a, owner_in(vec![w.customer.id])).await,
        sorted(customer_groups.clone())
    );
    assert!(list_groups(tx, a, owner_in(vec![])).await.is_empty());
    let mut many = unknown_ids(600);
    many.push(w.customer.id);
    assert_eq!(
        list_groups(tx, a, owner_in(many)).await,
        sorted(customer_groups)
    );
    let of_member = GroupQuery {
        member: Some(member.id),
        ..GroupQuery::default()
    };
    assert_eq!(
        list_groups(tx, a, of_member.clone()).await,
        sorted(vec![alpha.id, beta.id])
    );
    let member_under_customer = GroupQuery {
        owner: Some(w.customer.id),
        ..of_member
    };
    assert_eq!(
        list_groups(tx, a, member_under_customer).await,
        vec![alpha.id]
    );
    let prefix = |p: &str| GroupQuery {
        name_prefix: Some(p.into()),
        ..GroupQuery::default()
    };
    assert_eq!(
        list_groups(tx, a, prefix("alp")).await,
        vec![alpha.id, alpine.id]
    );
    assert_eq!(list_groups(tx, a, prefix("alpha")).await, vec![alpha.id]);
    assert!(list_groups(tx, a, prefix("gamma")).await.is_empty());
    assert!(list_groups(tx, TenantScope::Tenant(w.b.id), prefix("alp"))
        .await
        .is_empty());
}

/// Memberships: upsert adds or replaces the validity window; listing by user and by group;
/// removal reports whether there was one.
pub async fn memberships_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let g1 = group_of(&w.a, GroupKind::Custom, "One");
    let g2 = group_of(&w.a, GroupKind::Custom, "Two");
    let users: Vec<User> = (0..3).map(|i| user_of(&w.a, &format!("u{i}"))).collect();
    let mut tx = write(store).await;
    for g in [&g1, &g2] {
        tx.insert_group(g).await.unwrap();
    }
    for u in &users {
        tx.insert_user(u, None).await.unwrap();
        tx.upsert_membership(&membership(&g1, u)).await.unwrap();
    }
    let windowed = Membership {
        valid_from: Some(now()),
        valid_until: Some(later(3600)),
        ..membership(&g2, &users[0])
    };
    tx.upsert_membership(&windowed).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_membership(g2.id, users[0].id).await.unwrap(),
        Some(windowed.clone())
    );
    assert_eq!(tx.get_membership(g2.id, users[1].id).await.unwrap(), None);
    let mine = tx.memberships_of_user(users[0].id).await.unwrap();
    assert_eq!(
        mine.iter().map(|m| m.group).collect::<BTreeSet<_>>(),
        BTreeSet::from([g1.id, g2.id])
    );
    let page1 = tx.list_memberships(g1.id, first(2)).await.unwrap();
    assert_eq!(
        ids(&page1, |m| m.user),
        vec![users[0].id, users[1].id],
        "ordered by user id"
    );
    let page2 = tx
        .list_memberships(g1.id, after(users[1].id, 2))
        .await
        .unwrap();
    assert_eq!(ids(&page2, |m| m.user), vec![users[2].id]);
    drop(tx);

    let rewindowed = Membership {
        valid_from: None,
        valid_until: Some(later(60)),
        created_at: later(10),
        ..windowed.clone()
    };
    let mut tx = write(store).await;
    tx.upsert_membership(&rewindowed).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(
        tx.get_membership(g2.id, users[0].id).await.unwrap(),
        Some(Membership {
            created_at: windowed.created_at,
            ..rewindowed
        }),
        "upsert replaces the window and keeps the creation time"
    );
    drop(tx);

    let mut tx = write(store).await;
    assert!(tx.delete_membership(g2.id, users[0].id).await.unwrap());
    assert!(!tx.delete_membership(g2.id, users[0].id).await.unwrap());
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_membership(g2.id, users[0].id).await.unwrap(), None);
    assert_eq!(tx.memberships_of_user(users[0].id).await.unwrap().len(), 1);
}

/// Deleting a user takes their memberships and tokens; their audit events stay.
pub async fn delete_user_removes_memberships_and_tokens(store: &dyn Store) {
    let w = seed(store).await;
    let gone = user_of(&w.a, "gone");
    let stays = user_of(&w.a, "stays");
    let users = {
        let mut tx = read(store).await;
        tx.predefined_group(w.a.id, GroupKind::Users)
            .await
            .unwrap()
            .unwrap()
    };
    let session = token_of(&gone, TokenKind::Session);
    let mut audit = event(w.a.id, "user.create", now());
    audit.actor = Some(gone.id);
    audit.target = Some(gone.id);
    let mut tx = write(store).await;
    for u in [&gone, &stays] {
        tx.insert_user(u, Some("hash")).await.unwrap();
        tx.upsert_membership(&membership(&users, u)).await.unwrap();
    }
    tx.insert_token(&session, b"gone-secret-hash")
        .await
        .unwrap();
    tx.insert_audit(&audit).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    tx.delete_user(gone.id).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_user(ALL, gone.id).await.unwrap(), None);
    assert_eq!(tx.get_user_by_login("gone").await.unwrap(), None);
    assert_eq!(tx.get_membership(users.id, gone.id).await.unwrap(), None);
    assert!(tx.memberships_of_user(gone.id).await.unwrap().is_empty());
    let left = tx.list_memberships(users.id, first(10)).await.unwrap();
    assert_eq!(ids(&left, |m| m.user), vec![stays.id]);
    assert_eq!(
        tx.get_token_by_hash(b"gone-secret-hash").await.unwrap(),
        None
    );
    assert!(tx
        .list_user_tokens(gone.id, TokenKind::Session)
        .await
        .unwrap()
        .is_empty());
    let kept = tx
        .list_audit(
            ALL,
            &AuditQuery {
                target: Some(gone.id),
                ..AuditQuery::default()
            },
            first(10),
        )
        .await
        .unwrap();
    assert_eq!(kept, vec![audit], "audit events outlive the user");
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
}

/// Deleting a group takes its memberships.
pub async fn delete_group_removes_memberships(store: &dyn Store) {
    let w = seed(store).await;
    let doomed = group_of(&w.a, GroupKind::Custom, "Doomed");
    let kept = group_of(&w.a, GroupKind::Custom, "Kept");
    let u = user_of(&w.a, "member");
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    for g in [&doomed, &kept] {
        tx.insert_group(g).await.unwrap();
        tx.upsert_membership(&membership(g, &u)).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    tx.delete_group(doomed.id).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_group(ALL, doomed.id).await.unwrap(), None);
    assert_eq!(tx.get_membership(doomed.id, u.id).await.unwrap(), None);
    assert!(tx
        .list_memberships(doomed.id, first(10))
        .await
        .unwrap()
        .is_empty());
    let left = tx.memberships_of_user(u.id).await.unwrap();
    assert_eq!(ids(&left, |m| m.group), vec![kept.id]);
    assert_eq!(tx.get_user(ALL, u.id).await.unwrap(), Some(u));
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// Tokens are found by hash, touched, listed by kind and deleted one by one or by kind.
pub async fn tokens_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "holder");
    let other = user_of(&w.a, "other");
    let session = token_of(&u, TokenKind::Session);
    let session2 = token_of(&u, TokenKind::Session);
    let api = TokenRecord {
        name: Some("CI deploy".into()),
        ..token_of(&u, TokenKind::Api)
    };
    let activation = token_of(&u, TokenKind::Activation);
    let others = token_of(&other, TokenKind::Session);
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_user(&other, None).await.unwrap();
    for (t, hash) in [
        (&session, b"h-session".as_slice()),
        (&session2, b"h-session2"),
        (&api, b"h-api"),
        (&activation, b"h-activation"),
        (&others, b"h-others"),
    ] {
        tx.insert_token(t, hash).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    match tx
        .insert_token(&token_of(&u, TokenKind::Session), b"h-api")
        .await
    {
        Err(StoreError::Unique(_)) => {}
        other => panic!("a second token with the same hash must be refused: {other:?}"),
    }
    drop(tx);

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_token_by_hash(b"h-api").await.unwrap(),
        Some(api.clone())
    );
    assert_eq!(
        tx.get_token_by_hash(b"h-session").await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(tx.get_token_by_hash(b"h-unknown").await.unwrap(), None);
    let sessions = tx.list_user_tokens(u.id, TokenKind::Session).await.unwrap();
    assert_eq!(
        sorted(ids(&sessions, |t| t.id)),
        sorted(vec![session.id, session2.id])
    );
    assert_eq!(
        tx.list_user_tokens(u.id, TokenKind::Api).await.unwrap(),
        vec![api.clone()]
    );
    drop(tx);

    let used = later(30);
    let mut tx = write(store).await;
    tx.touch_token(session.id, used).await.unwrap();
    assert!(tx.delete_token(api.id).await.unwrap());
    assert!(!tx.delete_token(api.id).await.unwrap());
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(
        tx.get_token_by_hash(b"h-session").await.unwrap(),
        Some(TokenRecord {
            last_used_at: used,
            impersonator: None,
            ..session.clone()
        })
    );
    assert_eq!(tx.get_token_by_hash(b"h-api").await.unwrap(), None);
    drop(tx);

    let mut tx = write(store).await;
    assert_eq!(tx.delete_user_tokens(u.id, &[]).await.unwrap(), 0);
    assert_eq!(
        tx.delete_user_tokens(u.id, &[TokenKind::Session, TokenKind::Api])
            .await
            .unwrap(),
        2
    );
    commit(tx).await;
    let mut tx = read(store).await;
    assert!(tx
        .list_user_tokens(u.id, TokenKind::Session)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        tx.list_user_tokens(u.id, TokenKind::Activation)
            .await
            .unwrap(),
        vec![activation]
    );
    assert_eq!(
        tx.list_user_tokens(other.id, TokenKind::Session)
            .await
            .unwrap(),
        vec![others],
        "another user's tokens stay"
    );
}

// ---------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------

/// The audit log reads newest first, pages backwards and filters by actor, target, action
/// (exact or a family ending in `.`), time window and tenant.
pub async fn audit_newest_first_with_filters(store: &dyn Store) {
    let w = seed(store).await;
    let (actor, someone, target) = (new_id(), new_id(), new_id());
    let t0 = now();
    let at = |s: i64| t0 + TimeDelta::seconds(s);
    let e1 = AuditEvent {
        actor: Some(actor),
        impersonator: Some(someone),
        target: Some(target),
        summary: serde_json::json!({"login": "alice", "groups": [1, 2], "nested": {"ok": true}}),
        request_id: Some("req-1".into()),
        address: Some("192.0.2.7".into()),
        ..event(w.a.id, "user.create", at(0))
    };
    let e2 = AuditEvent {
        actor: Some(actor),
        target: Some(target),
        ..event(w.a.id, "user.update", at(1))
    };
    let e3 = AuditEvent {
        actor: Some(someone),
        ..event(w.a.id, "group.create", at(2))
    };
    let e4 = event(w.b.id, "user.delete", at(3));
    let e5 = AuditEvent {
        actor: Some(actor),
        ..event(w.a.id, "username.check", at(4))
    };
    let mut tx = write(store).await;
    for e in [&e1, &e2, &e3, &e4, &e5] {
        tx.insert_audit(e).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let mut list = async |scope: TenantScope, query: AuditQuery, page: PageReq| {
        tx.list_audit(scope, &query, page)
            .await
            .expect("list audit")
    };
    let ids_of = |events: Vec<AuditEvent>| ids(&events, |e| e.id);
    let none = AuditQuery::default;
    let everything = list(ALL, none(), first(10)).await;
    assert_eq!(
        everything,
        vec![e5.clone(), e4.clone(), e3.clone(), e2.clone(), e1.clone()],
        "newest first, every field intact"
    );
    assert_eq!(
        ids_of(list(ALL, none(), first(2)).await),
        vec![e5.id, e4.id]
    );
    assert_eq!(
        ids_of(list(ALL, none(), after(e4.id, 2)).await),
        vec![e3.id, e2.id]
    );
    assert_eq!(
        ids_of(list(ALL, none(), after(e2.id, 2)).await),
        vec![e1.id]
    );
    assert!(list(ALL, none(), after(e1.id, 2)).await.is_empty());

    let action = |a: &str| AuditQuery {
        action: Some(a.into()),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids_of(list(ALL, action("user.create"), first(10)).await),
        vec![e1.id]
    );
    assert_eq!(
        ids_of(list(ALL, action("user."), first(10)).await),
        vec![e4.id, e2.id, e1.id],
        "a family matches its actions only"
    );
    assert!(list(ALL, action("user"), first(10)).await.is_empty());
    let by_actor = AuditQuery {
        actor: Some(actor),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids_of(list(ALL, by_actor.clone(), first(10)).await),
        vec![e5.id, e2.id, e1.id]
    );
    let by_target = AuditQuery {
        target: Some(target),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids_of(list(ALL, by_target, first(10)).await),
        vec![e2.id, e1.id]
    );
    let window = AuditQuery {
        since: Some(at(1)),
        until: Some(at(3)),
        ..AuditQuery::default()
    };
    assert_eq!(
        ids_of(list(ALL, window, first(10)).await),
        vec![e3.id, e2.id],
        "since is inclusive, until exclusive"
    );
    let combined = AuditQuery {
        action: Some("user.".into()),
        since: Some(at(1)),
        ..by_actor
    };
    assert_eq!(ids_of(list(ALL, combined, first(10)).await), vec![e2.id]);
    assert_eq!(
        ids_of(list(TenantScope::Tenant(w.b.id), none(), first(10)).await),
        vec![e4.id]
    );
    assert_eq!(
        ids_of(list(TenantScope::Tenant(w.a.id), action("user."), first(10)).await),
        vec![e2.id, e1.id]
    );
}

// ---------------------------------------------------------------------------------------------
// Scoping and paging
// ---------------------------------------------------------------------------------------------

/// A tenant scope hides every row of other tenants, by id and in lists.
pub async fn tenant_scoping(store: &dyn Store) {
    let w = seed(store).await;
    let ua = user_of(&w.customer, "in-a");
    let ub = user_of(&w.b, "in-b");
    let ga = group_of(&w.customer, GroupKind::Custom, "Group A");
    let ea = event(w.a.id, "user.create", now());
    let eb = event(w.b.id, "user.create", now());
    let mut tx = write(store).await;
    tx.insert_user(&ua, None).await.unwrap();
    tx.insert_user(&ub, None).await.unwrap();
    tx.insert_group(&ga).await.unwrap();
    tx.insert_audit(&ea).await.unwrap();
    tx.insert_audit(&eb).await.unwrap();
    commit(tx).await;

    let a = TenantScope::Tenant(w.a.id);
    let b = TenantScope::Tenant(w.b.id);
    let mut tx = read(store).await;
    assert_eq!(tx.get_org_node(b, w.customer.id).await.unwrap(), None);
    assert_eq!(tx.get_org_node(b, w.a.id).await.unwrap(), None);
    assert_eq!(tx.get_org_node(b, SYSTEM_NODE_ID).await.unwrap(), None);
    assert_eq!(tx.get_user(b, ua.id).await.unwrap(), None);
    assert_eq!(tx.get_group(b, ga.id).await.unwrap(), None);
    assert_eq!(
        tx.get_org_node(a, w.customer.id).await.unwrap(),
        Some(w.customer.clone())
    );
    assert_eq!(tx.get_user(a, ua.id).await.unwrap(), Some(ua.clone()));
    assert_eq!(tx.get_group(a, ga.id).await.unwrap(), Some(ga.clone()));
    assert_eq!(tx.get_user(ALL, ub.id).await.unwrap(), Some(ub.clone()));

    let nodes = tx
        .list_org_nodes(b, &OrgQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(node_ids(&nodes), vec![w.b.id]);
    let users = tx
        .list_users(b, &UserQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(user_ids(&users), vec![ub.id]);
    let everyone = tx
        .list_users(ALL, &UserQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(user_ids(&everyone), vec![ua.id, ub.id]);
    let groups = tx
        .list_groups(b, &GroupQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(groups.len(), 3, "tenant B's predefined groups only");
    assert!(groups.iter().all(|g| g.tenant == w.b.id));
    let groups = tx
        .list_groups(
            b,
            &GroupQuery {
                owner: Some(w.customer.id),
                ..GroupQuery::default()
            },
            first(100),
        )
        .await
        .unwrap();
    assert!(groups.is_empty(), "another tenant's owner shows nothing");
    let events = tx
        .list_audit(b, &AuditQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(events, vec![eb]);
}

/// Lists are ordered by id and continue after the cursor, for every kind of object.
pub async fn lists_page_in_id_order(store: &dyn Store) {
    let w = seed(store).await;
    let users: Vec<User> = (0..7).map(|i| user_of(&w.b, &format!("user{i}"))).collect();
    let groups: Vec<Group> = (0..7)
        .map(|i| group_of(&w.b, GroupKind::Custom, &format!("group{i}")))
        .collect();
    let nodes: Vec<OrgNode> = (0..7)
        .map(|i| child_node(&w.b, OrgKind::Customer, &format!("node{i}")))
        .collect();
    let mut tx = write(store).await;
    // Inserted in reverse, so that insertion order cannot pass for id order.
    for u in users.iter().rev() {
        tx.insert_user(u, None).await.unwrap();
    }
    for g in groups.iter().rev() {
        tx.insert_group(g).await.unwrap();
    }
    for n in nodes.iter().rev() {
        tx.insert_org_node(n).await.unwrap();
    }
    commit(tx).await;

    let scope = TenantScope::Tenant(w.b.id);
    let mut tx = read(store).await;
    let mut seen = Vec::new();
    let mut page = first(3);
    // 7 users in pages of 3: three pages, then an empty one.
    for _ in 0..4 {
        let rows = tx
            .list_users(scope, &UserQuery::default(), page)
            .await
            .unwrap();
        assert!(rows.len() <= 3);
        let Some(last) = rows.last() else { break };
        page = after(last.id, 3);
        seen.extend(user_ids(&rows));
    }
    assert_eq!(seen, sorted(user_ids(&users)));

    let owned = GroupQuery {
        owner: Some(w.b.id),
        name_prefix: Some("group".into()),
        ..GroupQuery::default()
    };
    let expected = sorted(group_ids(&groups));
    let page1 = tx.list_groups(scope, &owned, first(4)).await.unwrap();
    assert_eq!(group_ids(&page1), expected[..4]);
    let page2 = tx
        .list_groups(scope, &owned, after(expected[3], 4))
        .await
        .unwrap();
    assert_eq!(group_ids(&page2), expected[4..]);

    let children = OrgQuery {
        parent: Some(w.b.id),
        ..OrgQuery::default()
    };
    let expected = sorted(node_ids(&nodes));
    let page1 = tx.list_org_nodes(scope, &children, first(5)).await.unwrap();
    assert_eq!(node_ids(&page1), expected[..5]);
    let page2 = tx
        .list_org_nodes(scope, &children, after(expected[4], 5))
        .await
        .unwrap();
    assert_eq!(node_ids(&page2), expected[5..]);
    let past_end = tx
        .list_org_nodes(scope, &children, after(expected[6], 5))
        .await
        .unwrap();
    assert!(past_end.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

/// A write transaction dropped without commit leaves nothing behind.
pub async fn rollback_on_drop(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "ghost");
    let node = child_node(&w.a, OrgKind::Customer, "Ghost town");
    let mut tx = write(store).await;
    tx.insert_org_node(&node).await.unwrap();
    tx.insert_user(&u, Some("hash")).await.unwrap();
    tx.delete_org_node(w.customer.id).await.unwrap();
    assert_eq!(
        tx.get_user(ALL, u.id).await.unwrap(),
        Some(u.clone()),
        "own writes are seen"
    );
    drop(tx);

    let mut tx = read(store).await;
    assert_eq!(tx.get_user(ALL, u.id).await.unwrap(), None);
    assert_eq!(tx.get_org_node(ALL, node.id).await.unwrap(), None);
    assert_eq!(
        tx.get_org_node(ALL, w.customer.id).await.unwrap(),
        Some(w.customer.clone())
    );
    drop(tx);
    // The store stays usable for writing.
    add_users(store, &[&u]).await;
}

/// A read transaction keeps seeing the data as it was when it first read.
pub async fn read_is_a_snapshot(store: &dyn Store) {
    let w = seed(store).await;
    let mut reader = read(store).await;
    assert!(reader.get_org_node(ALL, w.a.id).await.unwrap().is_some());
    let late = child_node(&w.a, OrgKind::Customer, "Late");
    let mut tx = write(store).await;
    tx.insert_org_node(&late).await.unwrap();
    commit(tx).await;
    assert_eq!(reader.get_org_node(ALL, late.id).await.unwrap(), None);
    drop(reader);
    let mut tx = read(store).await;
    assert_eq!(tx.get_org_node(ALL, late.id).await.unwrap(), Some(late));
}

/// A read transaction refuses writes.
pub async fn read_rejects_writes(store: &dyn Store) {
    let w = seed(store).await;
    let mut tx = read(store).await;
    let u = user_of(&w.a, "sneaky");
    assert!(tx.insert_user(&u, None).await.is_err());
    drop(tx);
    let mut tx = read(store).await;
    assert_eq!(tx.get_user(ALL, u.id).await.unwrap(), None);
}

/// Concurrent write transactions both succeed, one after the other.
pub async fn writers_take_turns(store: &dyn Store) {
    let w = seed(store).await;
    let (u1, u2) = (user_of(&w.a, "first"), user_of(&w.a, "second"));
    let writer = |u: User, pause: u64| async move {
        let mut tx = store.write().await?;
        tx.insert_user(&u, None).await?;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        tx.commit().await
    };
    let (r1, r2) = tokio::join!(writer(u1.clone(), 100), writer(u2.clone(), 0));
    r1.expect("first writer");
    r2.expect("second writer");
    let mut tx = read(store).await;
    assert!(tx.get_user(ALL, u1.id).await.unwrap().is_some());
    assert!(tx.get_user(ALL, u2.id).await.unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// Consistency
// ---------------------------------------------------------------------------------------------

/// Consistent data has no problems; each broken rule is reported, naming the object at fault.
pub async fn consistency_problems_found(store: &dyn Store) {
    let mut tx = read(store).await;
    assert!(
        !tx.consistency_problems().await.unwrap().is_empty(),
        "an empty store lacks the system root"
    );
    drop(tx);

    let w = seed(store).await;
    let u = user_of(&w.customer, "member");
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    let users = tx
        .predefined_group(w.customer.id, GroupKind::Users)
        .await
        .unwrap()
        .unwrap();
    tx.upsert_membership(&membership(&users, &u)).await.unwrap();
    tx.insert_token(&token_of(&u, TokenKind::Session), b"hash")
        .await
        .unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
    drop(tx);

    // Each breakage is made in a transaction that is checked and then rolled back.
    let expect_problem = async |what: &str, culprit: Id, breakage: Breakage| {
        let mut tx = write(store).await;
        breakage.apply(tx.as_mut()).await;
        let problems = tx.consistency_problems().await.unwrap();
        assert!(
            problems.iter().any(|p| p.contains(&culprit.to_string())),
            "{what}: expected a problem naming {culprit}, got {problems:?}"
        );
    };
    let all = {
        let mut tx = read(store).await;
        tx.predefined_group(w.a.id, GroupKind::All)
            .await
            .unwrap()
            .unwrap()
    };
    expect_problem(
        "a tenant lacking its All group",
        w.a.id,
        Breakage::DeleteGroup(all.id),
    )
    .await;
    let admins = {
        let mut tx = read(store).await;
        tx.predefined_group(w.customer.id, GroupKind::Administrators)
            .await
            .unwrap()
            .unwrap()
    };
    expect_problem(
        "a customer lacking its Administrators group",
        w.customer.id,
        Breakage::DeleteGroup(admins.id),
    )
    .await;
    let misplaced = User {
        tenant: w.b.id,
        ..user_of(&w.a, "misplaced")
    };
    expect_problem(
        "a user in another tenant than their owner",
        misplaced.id,
        Breakage::InsertUser(misplaced.clone()),
    )
    .await;
    let stray = Group {
        tenant: w.b.id,
        ..group_of(&w.a, GroupKind::Custom, "Stray")
    };
    expect_problem(
        "a group in another tenant than its owner",
        stray.id,
        Breakage::InsertGroup(stray.clone()),
    )
    .await;
    let b_all = {
        let mut tx = read(store).await;
        tx.predefined_group(w.b.id, GroupKind::All)
            .await
            .unwrap()
            .unwrap()
    };
    expect_problem(
        "a membership crossing tenants",
        u.id,
        Breakage::Membership(Membership {
            tenant: w.b.id,
            ..membership(&b_all, &u)
        }),
    )
    .await;
    expect_problem(
        "a membership in another tenant than its group and user",
        u.id,
        Breakage::Membership(Membership {
            tenant: w.b.id,
            ..membership(&admins, &u)
        }),
    )
    .await;
    let odd = OrgNode {
        tenant: w.b.id,
        ..child_node(&w.customer, OrgKind::Customer, "Odd")
    };
    expect_problem(
        "an org node in another tenant than its parent",
        odd.id,
        Breakage::InsertNode(odd.clone()),
    )
    .await;
}

/// One way of breaking a consistent store, for [`consistency_problems_found`] and
/// [`access_consistency_problems_found`].
enum Breakage {
    DeleteGroup(Id),
    InsertUser(User),
    InsertGroup(Group),
    InsertNode(OrgNode),
    Membership(Membership),
    Grant(Grant),
    Resource(Resource),
    ResourceGroupMember(Id, Id),
    ProjectMember(Id, Id),
    Attachment(Id, Id),
}

impl Breakage {
    async fn apply(self, tx: &mut dyn StoreTx) {
        match self {
            Breakage::DeleteGroup(id) => tx.delete_group(id).await,
            Breakage::InsertUser(u) => tx.insert_user(&u, None).await,
            Breakage::InsertGroup(g) => tx.insert_group(&g).await,
            Breakage::InsertNode(n) => {
                add_node(tx, &n).await;
                Ok(())
            }
            Breakage::Membership(m) => tx.upsert_membership(&m).await,
            Breakage::Grant(g) => tx.insert_grant(&g).await,
            Breakage::Resource(r) => tx.insert_resource(&r).await,
            Breakage::ResourceGroupMember(group, resource) => tx
                .add_resource_group_member(group, resource)
                .await
                .map(drop),
            Breakage::ProjectMember(project, user) => {
                tx.add_project_member(project, user, now()).await.map(drop)
            }
            Breakage::Attachment(project, group) => {
                tx.attach_group(project, group, now()).await.map(drop)
            }
        }
        .expect("the store takes inconsistent data; the check finds it");
    }
}

/// Bulk loads: many users and memberships in one call, across statement-size boundaries;
/// a duplicate login anywhere in a batch fails it.
pub async fn bulk_inserts(store: &dyn Store) {
    let w = seed(store).await;
    let group = group_of(&w.a, GroupKind::Custom, "Bulk");
    let users: Vec<(User, Option<String>)> = (0..1234)
        .map(|i| {
            (
                user_of(&w.a, &format!("bulk{i:04}")),
                (i % 2 == 0).then(|| format!("$argon2id$hash{i}")),
            )
        })
        .collect();
    let memberships: Vec<Membership> = users.iter().map(|(u, _)| membership(&group, u)).collect();
    let mut tx = write(store).await;
    tx.insert_group(&group).await.unwrap();
    tx.insert_users(&users).await.unwrap();
    tx.upsert_memberships(&memberships).await.unwrap();
    // Upserting again replaces windows and adds nothing.
    let until = later(60);
    let windowed: Vec<Membership> = memberships
        .iter()
        .take(1100)
        .map(|m| Membership {
            valid_until: Some(until),
            ..m.clone()
        })
        .collect();
    tx.upsert_memberships(&windowed).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    for i in [0usize, 499, 500, 1233] {
        let (u, hash) = &users[i];
        assert_eq!(
            tx.get_user(ALL, u.id).await.unwrap(),
            Some(u.clone()),
            "user {i}"
        );
        assert_eq!(
            tx.password_hash(u.id).await.unwrap(),
            hash.clone(),
            "hash {i}"
        );
    }
    let all = tx.list_memberships(group.id, first(1000)).await.unwrap();
    let rest = tx
        .list_memberships(group.id, after(all[999].user, 1000))
        .await
        .unwrap();
    assert_eq!(all.len() + rest.len(), 1234);
    assert_eq!(
        tx.get_membership(group.id, users[1099].0.id)
            .await
            .unwrap()
            .unwrap()
            .valid_until,
        Some(until)
    );
    assert_eq!(
        tx.get_membership(group.id, users[1100].0.id)
            .await
            .unwrap()
            .unwrap()
            .valid_until,
        None
    );
    drop(tx);

    let dup = vec![
        (user_of(&w.a, "fresh-one"), None),
        (user_of(&w.a, "BULK0001"), None),
    ];
    let mut tx = write(store).await;
    assert!(matches!(
        tx.insert_users(&dup).await,
        Err(StoreError::Unique(_))
    ));
    drop(tx);
    let mut tx = read(store).await;
    assert_eq!(
        tx.get_user_by_login("fresh-one").await.unwrap(),
        None,
        "the failed batch left nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Whole install (copying a database)
// ---------------------------------------------------------------------------------------------

/// Row counts take in every tenant: nodes with the root, predefined groups, explicit
/// memberships only, every kind of token and every audit event.
pub async fn row_counts_cover_every_tenant(store: &dyn Store) {
    let mut tx = read(store).await;
    assert_eq!(tx.row_counts().await.unwrap(), RowCounts::default());
    drop(tx);
    let w = seed(store).await;
    let (ua, ub) = (user_of(&w.a, "count-a"), user_of(&w.b, "count-b"));
    let group = group_of(&w.customer, GroupKind::Custom, "Counted");
    let mut tx = write(store).await;
    tx.insert_user(&ua, Some("$argon2id$a")).await.unwrap();
    tx.insert_user(&ub, None).await.unwrap();
    tx.insert_group(&group).await.unwrap();
    tx.upsert_membership(&membership(&group, &ua))
        .await
        .unwrap();
    tx.insert_token(&token_of(&ua, TokenKind::Session), b"c-1")
        .await
        .unwrap();
    tx.insert_token(&token_of(&ub, TokenKind::Api), b"c-2")
        .await
        .unwrap();
    tx.insert_audit(&event(w.a.id, "user.create", now()))
        .await
        .unwrap();
    tx.insert_audit(&event(w.b.id, "user.create", now()))
        .await
        .unwrap();
    tx.insert_audit(&event(w.root.id, "tenant.create", now()))
        .await
        .unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    let counts = tx.row_counts().await.unwrap();
    // Tenants have three predefined groups, customers two, the root none.
    assert_eq!(
        counts,
        RowCounts {
            org_nodes: 4,
            users: 2,
            groups: 3 + 3 + 2 + 1,
            memberships: 1,
            tokens: 2,
            audit_events: 3,
        }
    );
    assert_eq!(counts.total(), 4 + 2 + 9 + 1 + 2 + 3);
}

/// Users of every tenant page in id order, each with the password hash stored for them.
pub async fn users_with_hashes_page_across_tenants(store: &dyn Store) {
    let w = seed(store).await;
    let users: Vec<(User, Option<String>)> = (0..7)
        .map(|i| {
            let owner = [&w.a, &w.b, &w.customer][i % 3];
            (
                user_of(owner, &format!("hashed{i}")),
                (i % 2 == 0).then(|| format!("$argon2id$hash{i}")),
            )
        })
        .collect();
    let mut tx = write(store).await;
    // Inserted in reverse, so that insertion order cannot pass for id order.
    for (u, hash) in users.iter().rev() {
        tx.insert_user(u, hash.as_deref()).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let mut seen = Vec::new();
    let mut page = first(3);
    for _ in 0..4 {
        let rows = tx.list_users_with_hashes(page).await.unwrap();
        assert!(rows.len() <= 3);
        let Some((last, _)) = rows.last() else { break };
        page = after(last.id, 3);
        seen.extend(rows);
    }
    let mut expected = users.clone();
    expected.sort_by_key(|(u, _)| u.id);
    assert_eq!(seen, expected);
    let past_end = tx
        .list_users_with_hashes(after(expected[6].0.id, 3))
        .await
        .unwrap();
    assert!(past_end.is_empty());
}

/// Every explicit membership of every tenant pages in `(group, user)` order, windows included.
pub async fn all_memberships_page_in_key_order(store: &dyn Store) {
    let w = seed(store).await;
    let (ga, gb) = (
        group_of(&w.a, GroupKind::Custom, "Paged A"),
        group_of(&w.b, GroupKind::Custom, "Paged B"),
    );
    let users_a: Vec<User> = (0..3).map(|i| user_of(&w.a, &format!("pa{i}"))).collect();
    let users_b: Vec<User> = (0..2).map(|i| user_of(&w.b, &format!("pb{i}"))).collect();
    let mut all: Vec<Membership> = users_a
        .iter()
        .map(|u| membership(&ga, u))
        .chain(users_b.iter().map(|u| membership(&gb, u)))
        .collect();
    all[1].valid_from = Some(later(-60));
    all[1].valid_until = Some(later(60));
    let mut tx = write(store).await;
    tx.insert_group(&ga).await.unwrap();
    tx.insert_group(&gb).await.unwrap();
    for u in users_a.iter().chain(&users_b) {
        tx.insert_user(u, None).await.unwrap();
    }
    for m in all.iter().rev() {
        tx.upsert_membership(m).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let mut seen: Vec<Membership> = Vec::new();
    let mut cursor = None;
    for _ in 0..4 {
        let rows = tx.list_all_memberships(cursor, 2).await.unwrap();
        assert!(rows.len() <= 2);
        let Some(last) = rows.last() else { break };
        cursor = Some((last.group, last.user));
        seen.extend(rows);
    }
    all.sort_by_key(|m| (m.group, m.user));
    assert_eq!(seen, all);
    let first_key = (all[0].group, all[0].user);
    let rest = tx.list_all_memberships(Some(first_key), 100).await.unwrap();
    assert_eq!(rest, all[1..]);
}

/// Every token of every user pages in id order, each with the hash it was stored under.
pub async fn all_tokens_page_with_hashes(store: &dyn Store) {
    let w = seed(store).await;
    let (ua, ub) = (user_of(&w.a, "token-a"), user_of(&w.b, "token-b"));
    let tokens: Vec<(TokenRecord, Vec<u8>)> = [
        (&ua, TokenKind::Session),
        (&ub, TokenKind::Api),
        (&ua, TokenKind::Activation),
        (&ub, TokenKind::PasswordChange),
        (&ua, TokenKind::Api),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (u, kind))| {
        let mut t = token_of(u, kind);
        if kind == TokenKind::Api {
            t.name = Some(format!("token {i}"));
        }
        (t, format!("hash-{i}").into_bytes())
    })
    .collect();
    let mut tx = write(store).await;
    tx.insert_user(&ua, None).await.unwrap();
    tx.insert_user(&ub, None).await.unwrap();
    for (t, hash) in tokens.iter().rev() {
        tx.insert_token(t, hash).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let mut seen = Vec::new();
    let mut page = first(2);
    for _ in 0..4 {
        let rows = tx.list_all_tokens(page).await.unwrap();
        assert!(rows.len() <= 2);
        let Some((last, _)) = rows.last() else { break };
        page = after(last.id, 2);
        seen.extend(rows);
    }
    let mut expected = tokens.clone();
    expected.sort_by_key(|(t, _)| t.id);
    assert_eq!(seen, expected);
}

/// Audit events inserted in bulk read back as inserted; a batch with a taken id fails whole.
pub async fn audit_events_insert_in_bulk(store: &dyn Store) {
    let w = seed(store).await;
    let start = later(-3600);
    let events: Vec<AuditEvent> = (0..1234)
        .map(|i| {
            let tenant = if i % 2 == 0 { w.a.id } else { w.b.id };
            AuditEvent {
                actor: Some(new_id()),
                target: (i % 3 == 0).then(new_id),
                summary: serde_json::json!({ "n": i }),
                request_id: Some(format!("req-{i}")),
                address: (i % 5 == 0).then(|| "192.0.2.1".to_string()),
                ..event(tenant, "user.create", start + TimeDelta::seconds(i))
            }
        })
        .collect();
    let mut tx = write(store).await;
    tx.insert_audit_events(&events).await.unwrap();
    tx.insert_audit_events(&[]).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    let mut seen = Vec::new();
    let mut page = first(500);
    loop {
        let rows = tx
            .list_audit(ALL, &AuditQuery::default(), page)
            .await
            .unwrap();
        let Some(last) = rows.last() else { break };
        page = after(last.id, 500);
        seen.extend(rows);
    }
    seen.reverse();
    let mut expected = events.clone();
    expected.sort_by_key(|e| e.id);
    assert_eq!(seen, expected);
    drop(tx);

    let again = vec![event(w.a.id, "user.update", now()), events[7].clone()];
    let mut tx = write(store).await;
    assert!(tx.insert_audit_events(&again).await.is_err());
    drop(tx);
    let mut tx = read(store).await;
    assert_eq!(tx.row_counts().await.unwrap().audit_events, 1234);
}

/// Login attempts: counted per key, restarted after the window, cleared, and never lost when
/// attempts race.
pub async fn login_attempts_count_atomically(store: &dyn Store) {
    let window = TimeDelta::minutes(15);
    let count = |key: &'static str, at: Timestamp| async move {
        let mut tx = write(store).await;
        let n = tx.count_login_attempt(key, at, at - window).await.unwrap();
        commit(tx).await;
        n
    };
    let t0 = now();
    assert_eq!(count("account:ann", t0).await, 1);
    assert_eq!(count("account:ann", t0).await, 2);
    assert_eq!(count("address:127.0.0.1", t0).await, 1, "keys count apart");
    let mut tx = read(store).await;
    assert_eq!(
        tx.login_attempts("account:ann", t0 - window).await.unwrap(),
        2
    );
    assert_eq!(
        tx.login_attempts("account:ann", t0 + TimeDelta::seconds(1))
            .await
            .unwrap(),
        0,
        "stale"
    );
    assert_eq!(
        tx.login_attempts("account:nobody", t0 - window)
            .await
            .unwrap(),
        0
    );
    drop(tx);
    // After a quiet window the count starts again.
    assert_eq!(
        count("account:ann", t0 + window + TimeDelta::seconds(1)).await,
        1
    );
    // Cleared on success.
    let mut tx = write(store).await;
    tx.clear_login_attempts("account:ann").await.unwrap();
    commit(tx).await;
    assert_eq!(count("account:ann", t0).await, 1);
    // Racing attempts: every one is counted.
    let at = now();
    racers_count_apart(|| count("account:race", at)).await;
}

/// Runs `count` eight times at once (each counting one attempt against the same, fresh key)
/// and asserts that the racers got the counts 1 to 8, each once: none lost, none shared.
async fn racers_count_apart<F, Fut>(count: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        count(),
        count(),
        count(),
        count(),
        count(),
        count(),
        count(),
        count()
    );
    let mut seen = vec![a, b, c, d, e, f, g, h];
    seen.sort();
    assert_eq!(
        seen,
        (1..=8).collect::<Vec<i64>>(),
        "each racing attempt got its own count"
    );
}

// ---------------------------------------------------------------------------------------------
// The access model
// ---------------------------------------------------------------------------------------------

fn resource_of(owner: Id, tenant: Id, rtype: &str, name: &str) -> Resource {
    let at = now();
    Resource {
        id: new_id(),
        tenant,
        owner,
        rtype: rtype.into(),
        name: name.into(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn resource_group_of(owner: Id, tenant: Id, name: &str) -> ResourceGroup {
    let at = now();
    ResourceGroup {
        id: new_id(),
        tenant,
        owner,
        name: name.into(),
        description: format!("{name} described"),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn project_of(owner: &OrgNode, name: &str) -> Project {
    let at = now();
    Project {
        id: new_id(),
        tenant: owner.tenant,
        owner: owner.id,
        name: name.into(),
        description: String::new(),
        exclusive: true,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn role_of(owner: &OrgNode, name: &str, permissions: &[&str]) -> Role {
    let at = now();
    Role {
        id: new_id(),
        tenant: owner.tenant,
        owner: owner.id,
        name: name.into(),
        description: String::new(),
        permissions: permissions.iter().map(|p| (*p).to_string()).collect(),
        builtin: false,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// A grant of `role` to a user or group on a scope of `tenant`.
fn grant_of(
    (subject, subject_kind): (Id, SubjectKind),
    (scope, scope_kind): (Id, ScopeKind),
    tenant: Id,
    role: Option<Id>,
) -> Grant {
    let at = now();
    Grant {
        id: new_id(),
        tenant,
        subject,
        subject_kind,
        role,
        permissions: if role.is_none() {
            vec!["device:read".into(), "service:*".into()]
        } else {
            Vec::new()
        },
        scope,
        scope_kind,
        effect: Effect::Allow,
        valid_from: None,
        valid_until: None,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn to_user(u: &User) -> (Id, SubjectKind) {
    (u.id, SubjectKind::User)
}

fn to_group(g: &Group) -> (Id, SubjectKind) {
    (g.id, SubjectKind::Group)
}

fn on_node(n: &OrgNode) -> (Id, ScopeKind) {
    (n.id, ScopeKind::Node)
}

/// The built-in Viewer role's id (built-in roles are not stored; grants name them by id).
const VIEWER: Id = crate::access::builtin::VIEWER_ROLE;

async fn list_resources(tx: &mut dyn StoreTx, scope: TenantScope, q: ResourceQuery) -> Vec<Id> {
    ids(
        &tx.list_resources(scope, &q, first(100))
            .await
            .expect("list resources"),
        |r| r.id,
    )
}

async fn list_grants(tx: &mut dyn StoreTx, scope: TenantScope, q: GrantQuery) -> Vec<Id> {
    ids(
        &tx.list_grants(scope, &q, first(100))
            .await
            .expect("list grants"),
        |g| g.id,
    )
}

async fn assert_consistent(tx: &mut dyn StoreTx) {
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
}

/// Types are registered, their actions replaced (keeping when they were registered), listed
/// by name and removed; a type is in use while a resource has it.
pub async fn resource_types_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let at = now();
    let device = ResourceType {
        name: "device".into(),
        actions: vec!["read".into(), "write".into()],
        builtin: false,
        created_at: at,
        updated_at: at,
    };
    let dashboard = ResourceType {
        name: "dashboard".into(),
        actions: vec![],
        ..device.clone()
    };
    let mut tx = write(store).await;
    tx.upsert_resource_type(&device).await.unwrap();
    tx.upsert_resource_type(&dashboard).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_resource_type("device").await.unwrap(),
        Some(device.clone())
    );
    assert_eq!(tx.get_resource_type("Device").await.unwrap(), None);
    assert_eq!(
        tx.list_resource_types().await.unwrap(),
        vec![dashboard.clone(), device.clone()]
    );
    drop(tx);

    let changed = ResourceType {
        actions: vec!["read".into(), "write".into(), "reboot".into()],
        created_at: later(60),
        updated_at: later(60),
        ..device.clone()
    };
    let mut tx = write(store).await;
    tx.upsert_resource_type(&changed).await.unwrap();
    tx.insert_resource(&resource_of(w.a.id, w.a.id, "device", "d1"))
        .await
        .unwrap();
    commit(tx).await;
    let mut tx = write(store).await;
    assert_eq!(
        tx.get_resource_type("device").await.unwrap(),
        Some(ResourceType {
            created_at: device.created_at,
            ..changed
        }),
        "the actions are replaced, the registration time kept"
    );
    assert!(tx.resource_type_in_use("device").await.unwrap());
    assert!(!tx.resource_type_in_use("dashboard").await.unwrap());
    assert!(tx.delete_resource_type("dashboard").await.unwrap());
    assert!(!tx.delete_resource_type("dashboard").await.unwrap());
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_resource_type("dashboard").await.unwrap(), None);
    assert_eq!(tx.list_resource_types().await.unwrap().len(), 1);
}

/// Resources read back equal; updates write name, owner, version and `updated_at`; names are
/// unique per owner and type, case-insensitively; deleting one takes its resource-group
/// memberships and the grants held on it, and nothing else.
pub async fn resources_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "viewer");
    let r = resource_of(w.a.id, w.a.id, "device", "Router");
    let other = resource_of(w.a.id, w.a.id, "device", "Switch");
    let rg = resource_group_of(w.a.id, w.a.id, "Network");
    let on_r = grant_of(
        to_user(&u),
        (r.id, ScopeKind::Resource),
        w.a.id,
        Some(VIEWER),
    );
    let on_other = grant_of(
        to_user(&u),
        (other.id, ScopeKind::Resource),
        w.a.id,
        Some(VIEWER),
    );
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_resource(&r).await.unwrap();
    tx.insert_resource(&other).await.unwrap();
    tx.insert_resource_group(&rg).await.unwrap();
    assert!(tx.add_resource_group_member(rg.id, r.id).await.unwrap());
    assert!(tx.add_resource_group_member(rg.id, other.id).await.unwrap());
    tx.insert_grant(&on_r).await.unwrap();
    tx.insert_grant(&on_other).await.unwrap();
    // The same name is fine for another type or another owner.
    tx.insert_resource(&resource_of(w.a.id, w.a.id, "service", "router"))
        .await
        .unwrap();
    tx.insert_resource(&resource_of(w.customer.id, w.a.id, "device", "ROUTER"))
        .await
        .unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    match tx
        .insert_resource(&resource_of(w.a.id, w.a.id, "device", "rOUTER"))
        .await
    {
        Err(StoreError::Unique("resource name")) => {}
        other => panic!("a resource name differing only in case must be refused: {other:?}"),
    }
    drop(tx);

    let mut tx = read(store).await;
    assert_eq!(tx.get_resource(ALL, r.id).await.unwrap(), Some(r.clone()));
    drop(tx);
    let moved = Resource {
        name: "Core router".into(),
        owner: w.customer.id,
        version: 2,
        updated_at: later(5),
        ..r.clone()
    };
    let mut tx = write(store).await;
    tx.update_resource(&moved).await.unwrap();
    commit(tx).await;
    let mut tx = write(store).await;
    assert_eq!(tx.get_resource(ALL, r.id).await.unwrap(), Some(moved));
    match tx
        .update_resource(&Resource {
            name: "CORE ROUTER".into(),
            owner: w.customer.id,
            ..other.clone()
        })
        .await
    {
        Ok(()) => panic!("renaming onto a taken resource name must be refused"),
        Err(e) => assert!(matches!(e, StoreError::Unique("resource name")), "{e:?}"),
    }
    drop(tx);

    let mut tx = write(store).await;
    tx.delete_resource(r.id).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_resource(ALL, r.id).await.unwrap(), None);
    assert!(tx.resource_groups_of(r.id).await.unwrap().is_empty());
    assert_eq!(tx.get_grant(ALL, on_r.id).await.unwrap(), None);
    assert_eq!(
        tx.get_grant(ALL, on_other.id).await.unwrap(),
        Some(on_other)
    );
    assert_eq!(tx.resource_groups_of(other.id).await.unwrap(), vec![rg.id]);
    assert_eq!(
        tx.get_resource_group(ALL, rg.id).await.unwrap(),
        Some(rg.clone())
    );
    assert_consistent(tx.as_mut()).await;
}

/// Every resource filter, alone and combined, and paging.
pub async fn resource_query_filters(store: &dyn Store) {
    let w = seed(store).await;
    let rg = resource_group_of(w.a.id, w.a.id, "Group");
    let r1 = resource_of(w.a.id, w.a.id, "device", "Alpha");
    let r2 = resource_of(w.a.id, w.a.id, "service", "alpine");
    let r3 = resource_of(w.customer.id, w.a.id, "device", "Beta");
    let r4 = resource_of(w.b.id, w.b.id, "device", "Alps");
    let mut tx = write(store).await;
    tx.insert_resource_group(&rg).await.unwrap();
    for r in [&r1, &r2, &r3, &r4] {
        tx.insert_resource(r).await.unwrap();
    }
    for r in [&r2, &r3] {
        tx.add_resource_group_member(rg.id, r.id).await.unwrap();
    }
    commit(tx).await;

    let mut tx = read(store).await;
    let q = ResourceQuery::default;
    assert_eq!(
        list_resources(tx.as_mut(), ALL, q()).await,
        vec![r1.id, r2.id, r3.id, r4.id]
    );
    let a = TenantScope::Tenant(w.a.id);
    assert_eq!(
        list_resources(tx.as_mut(), a, q()).await,
        vec![r1.id, r2.id, r3.id]
    );
    let owned = |owner| ResourceQuery {
        owner: Some(owner),
        ..q()
    };
    assert_eq!(
        list_resources(tx.as_mut(), ALL, owned(w.a.id)).await,
        vec![r1.id, r2.id]
    );
    let mut visible = unknown_ids(600);
    visible.push(w.customer.id);
    visible.push(w.b.id);
    let within = |owners: Vec<Id>| ResourceQuery {
        owner_in: Some(owners),
        ..q()
    };
    assert_eq!(
        list_resources(tx.as_mut(), ALL, within(visible.clone())).await,
        vec![r3.id, r4.id]
    );
    assert_eq!(
        list_resources(tx.as_mut(), ALL, within(visible[598..].to_vec())).await,
        vec![r3.id, r4.id]
    );
    assert!(list_resources(tx.as_mut(), ALL, within(vec![]))
        .await
        .is_empty());
    let typed = ResourceQuery {
        rtype: Some("device".into()),
        ..q()
    };
    assert_eq!(
        list_resources(tx.as_mut(), a, typed.clone()).await,
        vec![r1.id, r3.id]
    );
    let prefixed = |p: &str| ResourceQuery {
        name_prefix: Some(p.into()),
        ..q()
    };
    assert_eq!(
        list_resources(tx.as_mut(), ALL, prefixed("alp")).await,
        vec![r1.id, r2.id, r4.id]
    );
    assert_eq!(
        list_resources(
            tx.as_mut(),
            ALL,
            ResourceQuery {
                rtype: Some("device".into()),
                ..prefixed("alp")
            }
        )
        .await,
        vec![r1.id, r4.id]
    );
    let in_group = ResourceQuery {
        group: Some(rg.id),
        ..q()
    };
    assert_eq!(
        list_resources(tx.as_mut(), ALL, in_group.clone()).await,
        vec![r2.id, r3.id]
    );
    assert_eq!(
        list_resources(
            tx.as_mut(),
            ALL,
            ResourceQuery {
                rtype: Some("device".into()),
                ..in_group.clone()
            }
        )
        .await,
        vec![r3.id]
    );
    assert!(
        list_resources(tx.as_mut(), TenantScope::Tenant(w.b.id), in_group.clone())
            .await
            .is_empty()
    );
    let page = tx
        .list_resources(ALL, &in_group, after(r2.id, 10))
        .await
        .unwrap();
    assert_eq!(ids(&page, |r| r.id), vec![r3.id]);
    let page = tx.list_resources(ALL, &q(), after(r1.id, 2)).await.unwrap();
    assert_eq!(ids(&page, |r| r.id), vec![r2.id, r3.id]);
}

/// Resource groups read back equal and update; names are unique per owner; membership changes
/// say whether they changed anything; lists filter and page; deleting a group takes its
/// memberships and the grants held on it, never the resources.
pub async fn resource_groups_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "viewer");
    let g1 = resource_group_of(w.a.id, w.a.id, "Systems");
    let g2 = resource_group_of(w.a.id, w.a.id, "Entities");
    let g3 = resource_group_of(w.customer.id, w.a.id, "Systems");
    let gb = resource_group_of(w.b.id, w.b.id, "Systems of B");
    let r1 = resource_of(w.a.id, w.a.id, "system", "One");
    let r2 = resource_of(w.a.id, w.a.id, "system", "Two");
    let on_g1 = grant_of(
        to_user(&u),
        (g1.id, ScopeKind::ResourceGroup),
        w.a.id,
        Some(VIEWER),
    );
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    for g in [&g1, &g2, &g3, &gb] {
        tx.insert_resource_group(g).await.unwrap();
    }
    tx.insert_resource(&r1).await.unwrap();
    tx.insert_resource(&r2).await.unwrap();
    tx.insert_grant(&on_g1).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    match tx
        .insert_resource_group(&resource_group_of(w.a.id, w.a.id, "SYSTEMS"))
        .await
    {
        Err(StoreError::Unique("resource group name")) => {}
        other => panic!("a duplicate resource group name must be refused: {other:?}"),
    }
    drop(tx);

    let mut tx = write(store).await;
    assert_eq!(
        tx.get_resource_group(ALL, g1.id).await.unwrap(),
        Some(g1.clone())
    );
    assert!(tx.add_resource_group_member(g1.id, r1.id).await.unwrap());
    assert!(!tx.add_resource_group_member(g1.id, r1.id).await.unwrap());
    assert!(tx.add_resource_group_member(g1.id, r2.id).await.unwrap());
    assert!(tx.add_resource_group_member(g2.id, r1.id).await.unwrap());
    assert!(tx.remove_resource_group_member(g2.id, r1.id).await.unwrap());
    assert!(!tx.remove_resource_group_member(g2.id, r1.id).await.unwrap());
    assert!(tx.add_resource_group_member(g2.id, r1.id).await.unwrap());
    let renamed = ResourceGroup {
        name: "All systems".into(),
        description: "every one".into(),
        version: 2,
        updated_at: later(5),
        ..g1.clone()
    };
    tx.update_resource_group(&renamed).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.get_resource_group(ALL, g1.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        tx.resource_groups_of(r1.id).await.unwrap(),
        sorted(vec![g1.id, g2.id])
    );
    let list = async |tx: &mut dyn StoreTx, scope, q: OwnedQuery| {
        ids(
            &tx.list_resource_groups(scope, &q, first(100))
                .await
                .unwrap(),
            |g| g.id,
        )
    };
    let q = OwnedQuery::default;
    assert_eq!(
        list(tx.as_mut(), ALL, q()).await,
        vec![g1.id, g2.id, g3.id, gb.id]
    );
    assert_eq!(
        list(tx.as_mut(), TenantScope::Tenant(w.b.id), q()).await,
        vec![gb.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                owner: Some(w.a.id),
                ..q()
            }
        )
        .await,
        vec![g1.id, g2.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                owner_in: Some(vec![w.customer.id, w.b.id]),
                ..q()
            }
        )
        .await,
        vec![g3.id, gb.id]
    );
    assert!(list(
        tx.as_mut(),
        ALL,
        OwnedQuery {
            owner_in: Some(vec![]),
            ..q()
        }
    )
    .await
    .is_empty());
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                name_prefix: Some("sys".into()),
                ..q()
            }
        )
        .await,
        vec![g3.id, gb.id],
        "the prefix matches the current name"
    );
    let page = tx
        .list_resource_groups(ALL, &q(), after(g1.id, 2))
        .await
        .unwrap();
    assert_eq!(ids(&page, |g| g.id), vec![g2.id, g3.id]);
    drop(tx);

    let mut tx = write(store).await;
    tx.delete_resource_group(g1.id).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_resource_group(ALL, g1.id).await.unwrap(), None);
    assert_eq!(tx.get_grant(ALL, on_g1.id).await.unwrap(), None);
    assert_eq!(tx.get_resource(ALL, r2.id).await.unwrap(), Some(r2.clone()));
    assert!(tx.resource_groups_of(r2.id).await.unwrap().is_empty());
    assert_eq!(tx.resource_groups_of(r1.id).await.unwrap(), vec![g2.id]);
    let members = tx
        .list_resources(
            ALL,
            &ResourceQuery {
                group: Some(g1.id),
                ..ResourceQuery::default()
            },
            first(10),
        )
        .await
        .unwrap();
    assert!(members.is_empty());
    assert_consistent(tx.as_mut()).await;
}

/// Projects read back equal and update; names are unique per owner; attachments and members
/// say whether they changed anything and are listed both ways; deleting a project takes its
/// members, its attachments and the grants held on it, never the users and groups.
pub async fn projects_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let p1 = project_of(&w.a, "Apollo");
    let p2 = project_of(&w.a, "Gemini");
    let p3 = project_of(&w.customer, "Apollo");
    let pb = project_of(&w.b, "Mercury");
    let org_group = group_of(&w.a, GroupKind::Custom, "Engineers");
    let users: Vec<User> = (0..5).map(|i| user_of(&w.a, &format!("crew{i}"))).collect();
    let on_p1 = grant_of(
        to_group(&org_group),
        (p1.id, ScopeKind::Project),
        w.a.id,
        Some(VIEWER),
    );
    let at = now();
    let mut tx = write(store).await;
    for p in [&p1, &p2, &p3, &pb] {
        tx.insert_project(p).await.unwrap();
    }
    tx.insert_group(&org_group).await.unwrap();
    for u in &users {
        tx.insert_user(u, None).await.unwrap();
    }
    tx.insert_grant(&on_p1).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    match tx.insert_project(&project_of(&w.a, "APOLLO")).await {
        Err(StoreError::Unique("project name")) => {}
        other => panic!("a duplicate project name must be refused: {other:?}"),
    }
    drop(tx);

    let mut tx = write(store).await;
    assert_eq!(tx.get_project(ALL, p1.id).await.unwrap(), Some(p1.clone()));
    let changed = Project {
        name: "Apollo 11".into(),
        description: "to the moon".into(),
        exclusive: false,
        version: 2,
        updated_at: later(5),
        ..p1.clone()
    };
    tx.update_project(&changed).await.unwrap();
    assert!(tx.attach_group(p1.id, org_group.id, at).await.unwrap());
    assert!(!tx.attach_group(p1.id, org_group.id, at).await.unwrap());
    assert!(tx.attach_group(p2.id, org_group.id, at).await.unwrap());
    assert!(tx.detach_group(p2.id, org_group.id).await.unwrap());
    assert!(!tx.detach_group(p2.id, org_group.id).await.unwrap());
    assert!(tx.attach_group(p2.id, org_group.id, at).await.unwrap());
    for u in &users {
        assert!(tx.add_project_member(p1.id, u.id, at).await.unwrap());
    }
    assert!(!tx
        .add_project_member(p1.id, users[0].id, later(5))
        .await
        .unwrap());
    assert!(tx.add_project_member(p2.id, users[0].id, at).await.unwrap());
    assert!(tx.remove_project_member(p2.id, users[0].id).await.unwrap());
    assert!(!tx.remove_project_member(p2.id, users[0].id).await.unwrap());
    assert!(tx.add_project_member(p2.id, users[1].id, at).await.unwrap());
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_project(ALL, p1.id).await.unwrap(), Some(changed));
    assert_eq!(tx.attached_groups(p1.id).await.unwrap(), vec![org_group.id]);
    assert_eq!(
        tx.projects_of_group(org_group.id).await.unwrap(),
        vec![p1.id, p2.id]
    );
    let members = tx.list_project_members(p1.id, first(3)).await.unwrap();
    assert_eq!(
        members,
        users[..3].iter().map(|u| (u.id, at)).collect::<Vec<_>>(),
        "ordered by user, since the first addition"
    );
    let rest = tx
        .list_project_members(p1.id, after(users[2].id, 10))
        .await
        .unwrap();
    assert_eq!(ids(&rest, |m| m.0), vec![users[3].id, users[4].id]);
    assert_eq!(tx.projects_of_user(users[0].id).await.unwrap(), vec![p1.id]);
    assert_eq!(
        tx.projects_of_user(users[1].id).await.unwrap(),
        vec![p1.id, p2.id]
    );
    let list = async |tx: &mut dyn StoreTx, scope, q: OwnedQuery| {
        ids(
            &tx.list_projects(scope, &q, first(100)).await.unwrap(),
            |p| p.id,
        )
    };
    let q = OwnedQuery::default;
    assert_eq!(
        list(tx.as_mut(), TenantScope::Tenant(w.a.id), q()).await,
        vec![p1.id, p2.id, p3.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                name_prefix: Some("apollo".into()),
                ..q()
            }
        )
        .await,
        vec![p1.id, p3.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                owner: Some(w.a.id),
                name_prefix: Some("apollo".into()),
                ..q()
            }
        )
        .await,
        vec![p1.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            TenantScope::Tenant(w.b.id),
            OwnedQuery {
                owner_in: Some(vec![w.a.id, w.b.id]),
                ..q()
            }
        )
        .await,
        vec![pb.id]
    );
    let page = tx.list_projects(ALL, &q(), after(p2.id, 1)).await.unwrap();
    assert_eq!(ids(&page, |p| p.id), vec![p3.id]);
    drop(tx);

    let mut tx = write(store).await;
    tx.delete_project(p1.id).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_project(ALL, p1.id).await.unwrap(), None);
    assert!(tx.attached_groups(p1.id).await.unwrap().is_empty());
    assert_eq!(
        tx.projects_of_group(org_group.id).await.unwrap(),
        vec![p2.id]
    );
    assert!(tx
        .list_project_members(p1.id, first(10))
        .await
        .unwrap()
        .is_empty());
    assert!(tx.projects_of_user(users[0].id).await.unwrap().is_empty());
    assert_eq!(tx.projects_of_user(users[1].id).await.unwrap(), vec![p2.id]);
    assert_eq!(tx.get_grant(ALL, on_p1.id).await.unwrap(), None);
    assert!(tx.get_group(ALL, org_group.id).await.unwrap().is_some());
    assert!(tx.get_user(ALL, users[0].id).await.unwrap().is_some());
    assert_consistent(tx.as_mut()).await;
}

/// Custom roles read back equal (never built-in) and update; names are unique per owner;
/// lists filter and page; a role is in use while a grant names it.
pub async fn roles_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "operator");
    let r1 = role_of(&w.a, "Operator", &["device:read", "device:reboot"]);
    let r2 = role_of(&w.a, "Auditor", &[]);
    let r3 = role_of(&w.customer, "Operator", &["*:read"]);
    let rb = role_of(&w.b, "Operator", &["service:*"]);
    let g = grant_of(to_user(&u), on_node(&w.a), w.a.id, Some(r1.id));
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    for r in [&r1, &r2, &r3, &rb] {
        tx.insert_role(r).await.unwrap();
    }
    tx.insert_grant(&g).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    match tx.insert_role(&role_of(&w.a, "OPERATOR", &[])).await {
        Err(StoreError::Unique("role name")) => {}
        other => panic!("a duplicate role name must be refused: {other:?}"),
    }
    drop(tx);

    let mut tx = write(store).await;
    assert_eq!(tx.get_role(ALL, r1.id).await.unwrap(), Some(r1.clone()));
    assert_eq!(tx.get_role(ALL, r2.id).await.unwrap(), Some(r2.clone()));
    assert_eq!(tx.get_role(ALL, VIEWER).await.unwrap(), None, "not stored");
    let changed = Role {
        name: "Device operator".into(),
        description: "runs devices".into(),
        permissions: vec!["device:*".into()],
        version: 2,
        updated_at: later(5),
        ..r1.clone()
    };
    tx.update_role(&changed).await.unwrap();
    assert!(tx.role_in_use(r1.id).await.unwrap());
    assert!(!tx.role_in_use(r2.id).await.unwrap());
    tx.delete_role(r2.id).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_role(ALL, r1.id).await.unwrap(), Some(changed));
    assert_eq!(tx.get_role(ALL, r2.id).await.unwrap(), None);
    let list = async |tx: &mut dyn StoreTx, scope, q: OwnedQuery| {
        ids(&tx.list_roles(scope, &q, first(100)).await.unwrap(), |r| {
            r.id
        })
    };
    let q = OwnedQuery::default;
    assert_eq!(list(tx.as_mut(), ALL, q()).await, vec![r1.id, r3.id, rb.id]);
    assert_eq!(
        list(tx.as_mut(), TenantScope::Tenant(w.a.id), q()).await,
        vec![r1.id, r3.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                name_prefix: Some("oper".into()),
                ..q()
            }
        )
        .await,
        vec![r3.id, rb.id]
    );
    assert_eq!(
        list(
            tx.as_mut(),
            ALL,
            OwnedQuery {
                owner: Some(w.customer.id),
                ..q()
            }
        )
        .await,
        vec![r3.id]
    );
    let page = tx.list_roles(ALL, &q(), after(r1.id, 1)).await.unwrap();
    assert_eq!(ids(&page, |r| r.id), vec![r3.id]);
    assert_consistent(tx.as_mut()).await;
}

/// Grants read back equal, with a role or inline permissions; updates write effect, validity,
/// version and `updated_at`; lists filter by subject, scope and role and page; grants go one
/// by one or all those between a subject and a scope.
pub async fn grants_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "holder");
    let other = user_of(&w.a, "other");
    let group = group_of(&w.a, GroupKind::Custom, "Holders");
    let p = project_of(&w.a, "Project");
    let role = role_of(&w.a, "Custom", &["device:read"]);
    let g1 = grant_of(to_user(&u), on_node(&w.a), w.a.id, Some(VIEWER));
    let g2 = grant_of(to_user(&u), on_node(&w.a), w.a.id, None);
    let g3 = grant_of(
        to_user(&u),
        (p.id, ScopeKind::Project),
        w.a.id,
        Some(role.id),
    );
    let g4 = grant_of(to_group(&group), on_node(&w.a), w.a.id, Some(VIEWER));
    let g5 = grant_of(to_user(&other), on_node(&w.customer), w.a.id, Some(role.id));
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_user(&other, None).await.unwrap();
    tx.insert_group(&group).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    tx.insert_role(&role).await.unwrap();
    for g in [&g1, &g2, &g3, &g4, &g5] {
        tx.insert_grant(g).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    assert_eq!(tx.get_grant(ALL, g1.id).await.unwrap(), Some(g1.clone()));
    assert_eq!(tx.get_grant(ALL, g2.id).await.unwrap(), Some(g2.clone()));
    assert_eq!(tx.get_grant(ALL, g4.id).await.unwrap(), Some(g4.clone()));
    let changed = Grant {
        effect: Effect::Deny,
        valid_from: Some(later(-60)),
        valid_until: Some(later(3600)),
        version: 2,
        updated_at: later(5),
        ..g2.clone()
    };
    tx.update_grant(&changed).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_grant(ALL, g2.id).await.unwrap(), Some(changed));
    let q = GrantQuery::default;
    assert_eq!(
        list_grants(tx.as_mut(), ALL, q()).await,
        vec![g1.id, g2.id, g3.id, g4.id, g5.id]
    );
    assert_eq!(
        list_grants(
            tx.as_mut(),
            ALL,
            GrantQuery {
                subject: Some(u.id),
                ..q()
            }
        )
        .await,
        vec![g1.id, g2.id, g3.id]
    );
    assert_eq!(
        list_grants(
            tx.as_mut(),
            ALL,
            GrantQuery {
                scope: Some(w.a.id),
                ..q()
            }
        )
        .await,
        vec![g1.id, g2.id, g4.id]
    );
    assert_eq!(
        list_grants(
            tx.as_mut(),
            ALL,
            GrantQuery {
                role: Some(role.id),
                ..q()
            }
        )
        .await,
        vec![g3.id, g5.id]
    );
    assert_eq!(
        list_grants(
            tx.as_mut(),
            ALL,
            GrantQuery {
                subject: Some(u.id),
                scope: Some(w.a.id),
                role: Some(VIEWER),
            }
        )
        .await,
        vec![g1.id]
    );
    let page = tx.list_grants(ALL, &q(), after(g2.id, 2)).await.unwrap();
    assert_eq!(ids(&page, |g| g.id), vec![g3.id, g4.id]);
    assert_consistent(tx.as_mut()).await;
    drop(tx);

    let mut tx = write(store).await;
    assert!(tx.delete_grant(g3.id).await.unwrap());
    assert!(!tx.delete_grant(g3.id).await.unwrap());
    assert_eq!(
        tx.delete_grants_between(u.id, w.a.id).await.unwrap(),
        vec![g1.id, g2.id]
    );
    assert!(tx
        .delete_grants_between(u.id, w.a.id)
        .await
        .unwrap()
        .is_empty());
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(list_grants(tx.as_mut(), ALL, q()).await, vec![g4.id, g5.id]);
}

/// A tenant scope hides every access object of other tenants, by id and in lists.
pub async fn access_tenant_scoping(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.customer, "in-a");
    let r = resource_of(w.customer.id, w.a.id, "device", "Device");
    let rg = resource_group_of(w.customer.id, w.a.id, "Devices");
    let p = project_of(&w.customer, "Project");
    let role = role_of(&w.customer, "Role", &["device:read"]);
    let g = grant_of(
        to_user(&u),
        (r.id, ScopeKind::Resource),
        w.a.id,
        Some(role.id),
    );
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_resource(&r).await.unwrap();
    tx.insert_resource_group(&rg).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    tx.insert_role(&role).await.unwrap();
    tx.insert_grant(&g).await.unwrap();
    commit(tx).await;

    let a = TenantScope::Tenant(w.a.id);
    let b = TenantScope::Tenant(w.b.id);
    let mut tx = read(store).await;
    assert_eq!(tx.get_resource(b, r.id).await.unwrap(), None);
    assert_eq!(tx.get_resource_group(b, rg.id).await.unwrap(), None);
    assert_eq!(tx.get_project(b, p.id).await.unwrap(), None);
    assert_eq!(tx.get_role(b, role.id).await.unwrap(), None);
    assert_eq!(tx.get_grant(b, g.id).await.unwrap(), None);
    assert_eq!(tx.get_resource(a, r.id).await.unwrap(), Some(r.clone()));
    assert_eq!(
        tx.get_resource_group(a, rg.id).await.unwrap(),
        Some(rg.clone())
    );
    assert_eq!(tx.get_project(a, p.id).await.unwrap(), Some(p.clone()));
    assert_eq!(tx.get_role(a, role.id).await.unwrap(), Some(role.clone()));
    assert_eq!(tx.get_grant(a, g.id).await.unwrap(), Some(g.clone()));

    for (scope, expected) in [(a, 1), (b, 0)] {
        let owner = OwnedQuery {
            owner: Some(w.customer.id),
            ..OwnedQuery::default()
        };
        let n = tx
            .list_resources(
                scope,
                &ResourceQuery {
                    owner: Some(w.customer.id),
                    ..ResourceQuery::default()
                },
                first(10),
            )
            .await
            .unwrap()
            .len();
        assert_eq!(n, expected, "resources");
        let n = tx
            .list_resource_groups(scope, &owner, first(10))
            .await
            .unwrap()
            .len();
        assert_eq!(n, expected, "resource groups");
        let n = tx
            .list_projects(scope, &owner, first(10))
            .await
            .unwrap()
            .len();
        assert_eq!(n, expected, "projects");
        let n = tx.list_roles(scope, &owner, first(10)).await.unwrap().len();
        assert_eq!(n, expected, "roles");
        let n = tx
            .list_grants(
                scope,
                &GrantQuery {
                    subject: Some(u.id),
                    ..GrantQuery::default()
                },
                first(10),
            )
            .await
            .unwrap()
            .len();
        assert_eq!(n, expected, "grants");
    }
}

/// Deleting a user takes the grants given to them and their project memberships; grants held
/// by others stay.
pub async fn delete_user_removes_grants_and_project_memberships(store: &dyn Store) {
    let w = seed(store).await;
    let gone = user_of(&w.a, "gone");
    let stays = user_of(&w.a, "stays");
    let p = project_of(&w.a, "Project");
    let on_node_grant = grant_of(to_user(&gone), on_node(&w.a), w.a.id, Some(VIEWER));
    let on_project = grant_of(to_user(&gone), (p.id, ScopeKind::Project), w.a.id, None);
    let kept = grant_of(to_user(&stays), on_node(&w.a), w.a.id, Some(VIEWER));
    let at = now();
    let mut tx = write(store).await;
    tx.insert_user(&gone, None).await.unwrap();
    tx.insert_user(&stays, None).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    tx.add_project_member(p.id, gone.id, at).await.unwrap();
    tx.add_project_member(p.id, stays.id, at).await.unwrap();
    for g in [&on_node_grant, &on_project, &kept] {
        tx.insert_grant(g).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    tx.delete_user(gone.id).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_grant(ALL, on_node_grant.id).await.unwrap(), None);
    assert_eq!(tx.get_grant(ALL, on_project.id).await.unwrap(), None);
    assert_eq!(tx.get_grant(ALL, kept.id).await.unwrap(), Some(kept));
    assert!(tx.projects_of_user(gone.id).await.unwrap().is_empty());
    assert_eq!(
        tx.list_project_members(p.id, first(10)).await.unwrap(),
        vec![(stays.id, at)]
    );
    assert_consistent(tx.as_mut()).await;
}

/// Deleting a group takes the grants given to it and its project attachments; its members,
/// the projects and other groups' grants stay.
pub async fn delete_group_removes_grants_and_attachments(store: &dyn Store) {
    let w = seed(store).await;
    let doomed = group_of(&w.a, GroupKind::Custom, "Doomed");
    let kept_group = group_of(&w.a, GroupKind::Custom, "Kept");
    let member = user_of(&w.a, "member");
    let p = project_of(&w.a, "Project");
    let doomed_grant = grant_of(to_group(&doomed), (p.id, ScopeKind::Project), w.a.id, None);
    let kept_grant = grant_of(to_group(&kept_group), on_node(&w.a), w.a.id, Some(VIEWER));
    let at = now();
    let mut tx = write(store).await;
    tx.insert_user(&member, None).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    for g in [&doomed, &kept_group] {
        tx.insert_group(g).await.unwrap();
        tx.upsert_membership(&membership(g, &member)).await.unwrap();
        tx.attach_group(p.id, g.id, at).await.unwrap();
    }
    tx.insert_grant(&doomed_grant).await.unwrap();
    tx.insert_grant(&kept_grant).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    tx.delete_group(doomed.id).await.unwrap();
    commit(tx).await;
    let mut tx = read(store).await;
    assert_eq!(tx.get_grant(ALL, doomed_grant.id).await.unwrap(), None);
    assert_eq!(
        tx.get_grant(ALL, kept_grant.id).await.unwrap(),
        Some(kept_grant)
    );
    assert!(tx.projects_of_group(doomed.id).await.unwrap().is_empty());
    assert_eq!(tx.attached_groups(p.id).await.unwrap(), vec![kept_group.id]);
    assert!(tx.get_user(ALL, member.id).await.unwrap().is_some());
    assert!(tx.get_project(ALL, p.id).await.unwrap().is_some());
    assert_consistent(tx.as_mut()).await;
}

/// Deleting an (empty) org node takes the grants held on it and those of its predefined
/// groups; a node is in use while it owns access objects.
pub async fn delete_org_node_removes_grants_on_it(store: &dyn Store) {
    let w = seed(store).await;
    let node = child_node(&w.customer, OrgKind::Customer, "Short-lived");
    let holder = user_of(&w.a, "holder");
    let admins = predefined_groups(&node).remove(0);
    let on_it = grant_of(to_user(&holder), on_node(&node), w.a.id, Some(VIEWER));
    let admin_rights = grant_of(to_group(&admins), on_node(&node), w.a.id, Some(VIEWER));
    let admin_elsewhere = grant_of(to_group(&admins), on_node(&w.customer), w.a.id, None);
    let on_parent = grant_of(to_user(&holder), on_node(&w.customer), w.a.id, Some(VIEWER));
    let mut tx = write(store).await;
    tx.insert_org_node(&node).await.unwrap();
    for g in predefined_groups(&node) {
        let g = if g.kind == GroupKind::Administrators {
            admins.clone()
        } else {
            g
        };
        tx.insert_group(&g).await.unwrap();
    }
    tx.insert_user(&holder, None).await.unwrap();
    for g in [&on_it, &admin_rights, &admin_elsewhere, &on_parent] {
        tx.insert_grant(g).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    assert!(!tx.org_node_in_use(node.id).await.unwrap());
    let r = resource_of(node.id, w.a.id, "device", "Blocker");
    tx.insert_resource(&r).await.unwrap();
    assert!(tx.org_node_in_use(node.id).await.unwrap(), "a resource");
    tx.delete_resource(r.id).await.unwrap();
    let p = project_of(&node, "Blocker");
    tx.insert_project(&p).await.unwrap();
    assert!(tx.org_node_in_use(node.id).await.unwrap(), "a project");
    tx.delete_project(p.id).await.unwrap();
    let rg = resource_group_of(node.id, w.a.id, "Blocker");
    tx.insert_resource_group(&rg).await.unwrap();
    assert!(
        tx.org_node_in_use(node.id).await.unwrap(),
        "a resource group"
    );
    tx.delete_resource_group(rg.id).await.unwrap();
    let role = role_of(&node, "Blocker", &[]);
    tx.insert_role(&role).await.unwrap();
    assert!(tx.org_node_in_use(node.id).await.unwrap(), "a role");
    tx.delete_role(role.id).await.unwrap();
    assert!(!tx.org_node_in_use(node.id).await.unwrap());
    tx.delete_org_node(node.id).await.unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.get_org_node(ALL, node.id).await.unwrap(), None);
    for gone in [&on_it, &admin_rights, &admin_elsewhere] {
        assert_eq!(tx.get_grant(ALL, gone.id).await.unwrap(), None);
    }
    assert_eq!(
        tx.get_grant(ALL, on_parent.id).await.unwrap(),
        Some(on_parent)
    );
    assert_consistent(tx.as_mut()).await;
}

/// Each recording takes the next version and stores its distinct changes under it; nothing to
/// record takes no version; a rolled-back recording leaves no trace; changes are read back
/// oldest first, from a version on, a limited number at a time.
pub async fn access_change_log_versions(store: &dyn Store) {
    let (n1, n2, u1, g1) = (new_id(), new_id(), new_id(), new_id());
    let change = AccessChange::new;
    let mut tx = write(store).await;
    assert_eq!(tx.access_version().await.unwrap(), 0);
    assert_eq!(tx.record_access_changes(&[]).await.unwrap(), 0);
    let v1 = tx
        .record_access_changes(&[
            change(AccessKind::Node, n1),
            change(AccessKind::User, u1),
            change(AccessKind::Node, n1),
        ])
        .await
        .unwrap();
    assert_eq!(v1, 1);
    assert_eq!(tx.access_version().await.unwrap(), 1, "own writes are seen");
    commit(tx).await;

    let mut tx = write(store).await;
    let v2 = tx
        .record_access_changes(&[change(AccessKind::Grant, g1), change(AccessKind::User, u1)])
        .await
        .unwrap();
    assert_eq!(v2, 2);
    assert_eq!(tx.record_access_changes(&[]).await.unwrap(), 2);
    let v3 = tx
        .record_access_changes(&[change(AccessKind::Node, n2)])
        .await
        .unwrap();
    assert_eq!(
        v3, 3,
        "every recording takes a version, even in one transaction"
    );
    commit(tx).await;

    let mut tx = write(store).await;
    tx.record_access_changes(&[change(AccessKind::Role, new_id())])
        .await
        .unwrap();
    drop(tx);

    let mut tx = read(store).await;
    assert_eq!(
        tx.access_version().await.unwrap(),
        3,
        "the rollback left no version"
    );
    let all = tx.access_changes_since(0, 100).await.unwrap();
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(
        all.windows(2).all(|w| w[0].0 <= w[1].0),
        "oldest first: {all:?}"
    );
    let as_set = |changes: &[(i64, AccessChange)]| {
        changes
            .iter()
            .map(|(v, c)| (*v, c.kind.as_str(), c.id))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        as_set(&all),
        as_set(&[
            (1, change(AccessKind::Node, n1)),
            (1, change(AccessKind::User, u1)),
            (2, change(AccessKind::Grant, g1)),
            (2, change(AccessKind::User, u1)),
            (3, change(AccessKind::Node, n2)),
        ])
    );
    assert_eq!(tx.access_changes_since(0, 3).await.unwrap(), all[..3]);
    assert_eq!(tx.access_changes_since(1, 100).await.unwrap(), all[2..]);
    assert_eq!(
        tx.access_changes_since(2, 100).await.unwrap(),
        vec![(3, change(AccessKind::Node, n2))]
    );
    assert!(tx.access_changes_since(3, 100).await.unwrap().is_empty());
}

/// Concurrent access-changing transactions take distinct versions, and a version is visible
/// only once every smaller one is.
pub async fn access_versions_commit_in_order(store: &dyn Store) {
    let (first_id, second_id) = (new_id(), new_id());
    let writer = |id: Id, pause: u64| async move {
        let mut tx = store.write().await?;
        let version = tx
            .record_access_changes(&[AccessChange::new(AccessKind::User, id)])
            .await?;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        tx.commit().await?;
        Ok::<i64, StoreError>(version)
    };
    let (v1, v2) = tokio::join!(writer(first_id, 200), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer(second_id, 0).await
    });
    let (v1, v2) = (v1.expect("first writer"), v2.expect("second writer"));
    let mut versions = vec![v1, v2];
    versions.sort();
    assert_eq!(versions, vec![1, 2]);
    let mut tx = read(store).await;
    assert_eq!(tx.access_version().await.unwrap(), 2);
    let changes = tx.access_changes_since(0, 10).await.unwrap();
    assert_eq!(
        changes,
        vec![
            (
                v1.min(v2),
                AccessChange::new(AccessKind::User, if v1 < v2 { first_id } else { second_id })
            ),
            (
                v1.max(v2),
                AccessChange::new(AccessKind::User, if v1 < v2 { second_id } else { first_id })
            ),
        ]
    );
}

/// The snapshot holds every access fact and the log's version, as of the read; the store never
/// invents grants (predefined groups get theirs from the service).
pub async fn access_snapshot_contents(store: &dyn Store) {
    let w = seed(store).await;
    let active = user_of(&w.a, "active");
    let disabled = User {
        status: UserStatus::Disabled,
        ..user_of(&w.customer, "disabled")
    };
    let pending = User {
        status: UserStatus::Pending,
        ..user_of(&w.b, "pending")
    };
    let group = group_of(&w.a, GroupKind::Custom, "Group");
    let p = project_of(&w.a, "Project");
    let r = resource_of(p.id, w.a.id, "device", "Device");
    let rg = resource_group_of(w.a.id, w.a.id, "Devices");
    let role = role_of(&w.a, "Role", &["device:read"]);
    let g1 = grant_of(
        to_user(&active),
        (rg.id, ScopeKind::ResourceGroup),
        w.a.id,
        Some(role.id),
    );
    let g2 = grant_of(to_group(&group), (p.id, ScopeKind::Project), w.a.id, None);
    let m = membership(&group, &active);
    let mut tx = read(store).await;
    let empty = tx.access_snapshot().await.unwrap();
    assert_eq!(empty.version, 0);
    assert_eq!(empty.nodes.len(), 4);
    assert_eq!(empty.groups.len(), 8, "the predefined groups");
    assert!(
        empty.grants.is_empty(),
        "the store gives predefined groups no grants"
    );
    assert!(empty.users.is_empty() && empty.memberships.is_empty());
    drop(tx);

    let mut tx = write(store).await;
    for u in [&active, &disabled, &pending] {
        tx.insert_user(u, None).await.unwrap();
    }
    tx.insert_group(&group).await.unwrap();
    tx.upsert_membership(&m).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    tx.attach_group(p.id, group.id, now()).await.unwrap();
    tx.insert_resource(&r).await.unwrap();
    tx.insert_resource_group(&rg).await.unwrap();
    tx.add_resource_group_member(rg.id, r.id).await.unwrap();
    tx.insert_role(&role).await.unwrap();
    tx.insert_grant(&g1).await.unwrap();
    tx.insert_grant(&g2).await.unwrap();
    let version = tx
        .record_access_changes(&[AccessChange::new(AccessKind::Grant, g1.id)])
        .await
        .unwrap();
    commit(tx).await;

    let mut reader = read(store).await;
    let snapshot = reader.access_snapshot().await.unwrap();
    // A later change is not seen by the same read.
    let mut tx = write(store).await;
    tx.delete_grant(g2.id).await.unwrap();
    tx.record_access_changes(&[AccessChange::new(AccessKind::Grant, g2.id)])
        .await
        .unwrap();
    commit(tx).await;
    let again = reader.access_snapshot().await.unwrap();
    drop(reader);

    assert_eq!(snapshot.version, version);
    let mut users = snapshot.users.clone();
    users.sort_by_key(|u| u.id);
    let access_user = |u: &User, active| AccessUser {
        id: u.id,
        tenant: u.tenant,
        owner: u.owner,
        active,
    };
    assert_eq!(
        users,
        vec![
            access_user(&active, true),
            access_user(&disabled, false),
            access_user(&pending, false)
        ]
    );
    assert_eq!(
        sorted(node_ids(&snapshot.nodes)),
        sorted(vec![w.root.id, w.a.id, w.b.id, w.customer.id])
    );
    assert!(snapshot.nodes.contains(&w.customer));
    assert_eq!(snapshot.groups.len(), 9);
    assert!(snapshot.groups.contains(&group));
    assert_eq!(snapshot.memberships, vec![m]);
    assert_eq!(snapshot.projects, vec![p.clone()]);
    assert_eq!(snapshot.attachments, vec![(p.id, group.id)]);
    assert_eq!(snapshot.resources, vec![r.clone()]);
    assert_eq!(snapshot.resource_groups, vec![rg.clone()]);
    assert_eq!(snapshot.resource_group_members, vec![(rg.id, r.id)]);
    assert_eq!(snapshot.roles, vec![role]);
    let mut grants = snapshot.grants.clone();
    grants.sort_by_key(|g| g.id);
    assert_eq!(grants, vec![g1.clone(), g2.clone()]);
    assert_eq!(again.version, snapshot.version, "one read, one snapshot");
    assert_eq!(again.grants.len(), 2);

    let mut tx = read(store).await;
    let after_delete = tx.access_snapshot().await.unwrap();
    assert_eq!(after_delete.version, version + 1);
    assert_eq!(after_delete.grants, vec![g1]);
}

/// Access objects that name missing rows, or rows of another tenant, are reported.
pub async fn access_consistency_problems_found(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "member");
    let ub = user_of(&w.b, "in-b");
    let group = group_of(&w.a, GroupKind::Custom, "Group");
    let group_b = group_of(&w.b, GroupKind::Custom, "Group of B");
    let p = project_of(&w.a, "Project");
    let r = resource_of(w.a.id, w.a.id, "device", "Device");
    let rb = resource_of(w.b.id, w.b.id, "device", "Device of B");
    let rg = resource_group_of(w.a.id, w.a.id, "Devices");
    let role = role_of(&w.a, "Role", &["device:read"]);
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_user(&ub, None).await.unwrap();
    tx.insert_group(&group).await.unwrap();
    tx.insert_group(&group_b).await.unwrap();
    tx.insert_project(&p).await.unwrap();
    tx.insert_resource(&r).await.unwrap();
    tx.insert_resource(&rb).await.unwrap();
    tx.insert_resource_group(&rg).await.unwrap();
    tx.insert_role(&role).await.unwrap();
    tx.add_resource_group_member(rg.id, r.id).await.unwrap();
    tx.add_project_member(p.id, u.id, now()).await.unwrap();
    tx.attach_group(p.id, group.id, now()).await.unwrap();
    for g in [
        grant_of(to_user(&u), on_node(&w.a), w.a.id, Some(role.id)),
        grant_of(to_group(&group), (p.id, ScopeKind::Project), w.a.id, None),
        grant_of(
            to_user(&u),
            (rg.id, ScopeKind::ResourceGroup),
            w.a.id,
            Some(VIEWER),
        ),
        grant_of(to_user(&u), (r.id, ScopeKind::Resource), w.a.id, None),
        grant_of(to_user(&ub), on_node(&w.b), w.b.id, Some(VIEWER)),
    ] {
        tx.insert_grant(&g).await.unwrap();
    }
    commit(tx).await;
    let mut tx = read(store).await;
    assert_consistent(tx.as_mut()).await;
    drop(tx);

    let expect_problem = async |what: &str, culprit: Id, breakage: Breakage| {
        let mut tx = write(store).await;
        breakage.apply(tx.as_mut()).await;
        let problems = tx.consistency_problems().await.unwrap();
        assert!(
            problems.iter().any(|p| p.contains(&culprit.to_string())),
            "{what}: expected a problem naming {culprit}, got {problems:?}"
        );
    };
    let to_missing_user = grant_of((new_id(), SubjectKind::User), on_node(&w.a), w.a.id, None);
    expect_problem(
        "a grant to a missing user",
        to_missing_user.id,
        Breakage::Grant(to_missing_user.clone()),
    )
    .await;
    let to_missing_group = grant_of((u.id, SubjectKind::Group), on_node(&w.a), w.a.id, None);
    expect_problem(
        "a grant to a missing group (a user's id named as a group)",
        to_missing_group.id,
        Breakage::Grant(to_missing_group.clone()),
    )
    .await;
    let on_missing = grant_of(to_user(&u), (new_id(), ScopeKind::Resource), w.a.id, None);
    expect_problem(
        "a grant on a missing scope",
        on_missing.id,
        Breakage::Grant(on_missing.clone()),
    )
    .await;
    let across = grant_of(to_user(&u), on_node(&w.b), w.a.id, None);
    expect_problem(
        "a grant in another tenant than its scope",
        across.id,
        Breakage::Grant(across.clone()),
    )
    .await;
    let missing_role = grant_of(to_user(&u), on_node(&w.a), w.a.id, Some(new_id()));
    expect_problem(
        "a grant of a missing role",
        missing_role.id,
        Breakage::Grant(missing_role.clone()),
    )
    .await;
    expect_problem(
        "a resource group member of another tenant",
        rb.id,
        Breakage::ResourceGroupMember(rg.id, rb.id),
    )
    .await;
    expect_problem(
        "a project member of another tenant",
        ub.id,
        Breakage::ProjectMember(p.id, ub.id),
    )
    .await;
    expect_problem(
        "a group of another tenant attached to a project",
        group_b.id,
        Breakage::Attachment(p.id, group_b.id),
    )
    .await;
    let orphan = resource_of(new_id(), w.a.id, "device", "Orphan");
    expect_problem(
        "a resource of a missing owner",
        orphan.id,
        Breakage::Resource(orphan.clone()),
    )
    .await;
    let misplaced = resource_of(w.customer.id, w.b.id, "device", "Misplaced");
    expect_problem(
        "a resource in another tenant than its owner",
        misplaced.id,
        Breakage::Resource(misplaced.clone()),
    )
    .await;
}

/// TOTP authenticators and recovery codes: enrol, confirm, steps accepted once and in order,
/// codes used once, everything gone with the user.
pub async fn second_factors_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "factor");
    let other = user_of(&w.a, "no-factor");
    let mut tx = write(store).await;
    tx.insert_user(&u, None).await.unwrap();
    tx.insert_user(&other, None).await.unwrap();
    let f = TotpFactor {
        user: u.id,
        secret: "JBSWY3DPEHPK3PXP".into(),
        confirmed: false,
        last_step: None,
        created_at: now(),
    };
    tx.put_totp(&f).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    assert_eq!(tx.get_totp(u.id).await.unwrap(), Some(f.clone()));
    assert_eq!(tx.get_totp(other.id).await.unwrap(), None);
    assert!(tx.confirm_totp(u.id).await.unwrap());
    assert!(!tx.confirm_totp(other.id).await.unwrap());
    assert!(tx.use_totp_step(u.id, 100).await.unwrap());
    assert!(
        !tx.use_totp_step(u.id, 100).await.unwrap(),
        "the same step twice"
    );
    assert!(
        !tx.use_totp_step(u.id, 99).await.unwrap(),
        "an earlier step"
    );
    assert!(tx.use_totp_step(u.id, 101).await.unwrap());
    assert!(
        !tx.use_totp_step(other.id, 5).await.unwrap(),
        "no authenticator"
    );
    let got = tx.get_totp(u.id).await.unwrap().unwrap();
    assert!(got.confirmed);
    assert_eq!(got.last_step, Some(101));

    let codes = [[1u8; 32], [2u8; 32], [3u8; 32]];
    tx.replace_recovery_codes(u.id, &codes).await.unwrap();
    assert_eq!(tx.recovery_codes_left(u.id).await.unwrap(), 3);
    assert!(tx.use_recovery_code(u.id, &[2u8; 32]).await.unwrap());
    assert!(
        !tx.use_recovery_code(u.id, &[2u8; 32]).await.unwrap(),
        "used up"
    );
    assert!(
        !tx.use_recovery_code(other.id, &[1u8; 32]).await.unwrap(),
        "not theirs"
    );
    assert_eq!(tx.recovery_codes_left(u.id).await.unwrap(), 2);
    tx.replace_recovery_codes(u.id, &[[9u8; 32]]).await.unwrap();
    assert_eq!(tx.recovery_codes_left(u.id).await.unwrap(), 1);

    // Re-enrolling replaces the authenticator, unconfirmed again.
    let again = TotpFactor {
        secret: "KRSXG5CTMVRXEZLU".into(),
        ..f.clone()
    };
    tx.put_totp(&again).await.unwrap();
    assert_eq!(tx.get_totp(u.id).await.unwrap(), Some(again.clone()));
    let other_factor = TotpFactor {
        user: other.id,
        ..f.clone()
    };
    tx.put_totp(&other_factor).await.unwrap();
    let mut all = tx.list_second_factors(None, 10).await.unwrap();
    all.sort_by_key(|(f, _)| f.user);
    let mut expected = vec![(again, vec![[9u8; 32]]), (other_factor, vec![])];
    expected.sort_by_key(|(f, _)| f.user);
    assert_eq!(all, expected, "every authenticator with its codes");
    let first = tx.list_second_factors(None, 1).await.unwrap();
    let rest = tx
        .list_second_factors(Some(first[0].0.user), 10)
        .await
        .unwrap();
    assert_eq!(
        (first.len(), rest.len()),
        (1, 1),
        "pages continue after the last user"
    );
    tx.delete_second_factors(other.id).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    assert!(tx.delete_second_factors(u.id).await.unwrap());
    assert!(!tx.delete_second_factors(u.id).await.unwrap());
    assert_eq!(tx.get_totp(u.id).await.unwrap(), None);
    assert_eq!(tx.recovery_codes_left(u.id).await.unwrap(), 0);
    tx.put_totp(&f).await.unwrap();
    tx.replace_recovery_codes(u.id, &codes).await.unwrap();
    tx.delete_user(u.id).await.unwrap();
    assert_eq!(tx.get_totp(u.id).await.unwrap(), None);
    assert_eq!(tx.recovery_codes_left(u.id).await.unwrap(), 0);
    commit(tx).await;
}

fn setting(scope: Id, name: &str, value: &str) -> Setting {
    Setting {
        scope,
        name: name.into(),
        value: value.into(),
        updated_at: now(),
    }
}

/// Settings documents: stored per org node and name, replaced in place, listed in key order,
/// and gone with their node.
pub async fn settings_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let smtp = setting(SYSTEM_NODE_ID, "smtp", r#"{"host":"mail.example"}"#);
    let policy_a = setting(w.a.id, "policy", r#"{"password_min_length":14}"#);
    let policy_c = setting(w.customer.id, "policy", r#"{"password_min_length":16}"#);
    let mut tx = write(store).await;
    for s in [&smtp, &policy_a, &policy_c] {
        tx.put_setting(s).await.unwrap();
    }
    commit(tx).await;

    let mut tx = write(store).await;
    assert_eq!(
        tx.get_setting(w.a.id, "policy").await.unwrap(),
        Some(policy_a.clone())
    );
    assert_eq!(tx.get_setting(w.b.id, "policy").await.unwrap(), None);
    assert_eq!(
        tx.get_setting(SYSTEM_NODE_ID, "policy").await.unwrap(),
        None,
        "names are per scope"
    );
    let replaced = setting(w.a.id, "policy", r#"{"password_min_length":20}"#);
    tx.put_setting(&replaced).await.unwrap();
    assert_eq!(
        tx.get_setting(w.a.id, "policy").await.unwrap(),
        Some(replaced.clone())
    );
    let mut expected = vec![smtp.clone(), replaced.clone(), policy_c.clone()];
    expected.sort_by(|x, y| (x.scope, &x.name).cmp(&(y.scope, &y.name)));
    assert_eq!(tx.list_all_settings().await.unwrap(), expected);
    assert!(tx.delete_setting(SYSTEM_NODE_ID, "smtp").await.unwrap());
    assert!(!tx.delete_setting(SYSTEM_NODE_ID, "smtp").await.unwrap());
    tx.delete_org_node(w.customer.id).await.unwrap();
    assert_eq!(
        tx.get_setting(w.customer.id, "policy").await.unwrap(),
        None,
        "settings go with their node"
    );
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(tx.list_all_settings().await.unwrap(), vec![replaced]);
}

/// Email codes as a second factor: on, off, listed in user order, gone with the user.
pub async fn email_factors_round_trip(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "mailed");
    let v = user_of(&w.b, "also-mailed");
    let other = user_of(&w.a, "not-mailed");
    add_users(store, &[&u, &v, &other]).await;
    let at = crate::ids::now();
    let mut tx = write(store).await;
    tx.put_email_factor(u.id, at).await.unwrap();
    tx.put_email_factor(u.id, later(5)).await.unwrap();
    tx.put_email_factor(v.id, at).await.unwrap();
    commit(tx).await;

    let mut tx = write(store).await;
    assert!(tx.has_email_factor(u.id).await.unwrap());
    assert!(!tx.has_email_factor(other.id).await.unwrap());
    let mut expected = vec![(u.id, at), (v.id, at)];
    expected.sort();
    let all = tx.list_email_factors(None, 10).await.unwrap();
    assert_eq!(all, expected, "turning it on again keeps the first time");
    let rest = tx
        .list_email_factors(Some(expected[0].0), 10)
        .await
        .unwrap();
    assert_eq!(rest, expected[1..].to_vec(), "pages continue after a user");
    assert!(tx.delete_email_factor(v.id).await.unwrap());
    assert!(!tx.delete_email_factor(v.id).await.unwrap());
    assert!(!tx.has_email_factor(v.id).await.unwrap());
    tx.delete_user(u.id).await.unwrap();
    assert!(tx.list_email_factors(None, 10).await.unwrap().is_empty());
    commit(tx).await;
}

/// What a login reads before opening a session: only a confirmed authenticator counts, email
/// codes count when on, and the policy document is the one of the scope and name asked for.
pub async fn sign_in_state_reads_factors_and_policy(store: &dyn Store) {
    let w = seed(store).await;
    let both = user_of(&w.a, "both-factors");
    let unconfirmed = user_of(&w.a, "unconfirmed");
    let none = user_of(&w.b, "no-factors");
    add_users(store, &[&both, &unconfirmed, &none]).await;
    let mut tx = write(store).await;
    for (u, confirmed) in [(&both, true), (&unconfirmed, false)] {
        tx.put_totp(&TotpFactor {
            user: u.id,
            secret: "JBSWY3DPEHPK3PXP".into(),
            confirmed,
            last_step: None,
            created_at: now(),
        })
        .await
        .unwrap();
    }
    tx.put_email_factor(both.id, now()).await.unwrap();
    tx.put_setting(&setting(w.a.id, "policy", r#"{"min_length":14}"#))
        .await
        .unwrap();
    tx.put_setting(&setting(w.b.id, "other", "{}"))
        .await
        .unwrap();
    commit(tx).await;

    let mut tx = read(store).await;
    assert_eq!(
        tx.sign_in_state(both.id, w.a.id, "policy").await.unwrap(),
        SignInState {
            totp: true,
            email: true,
            policy: Some(r#"{"min_length":14}"#.into()),
        }
    );
    assert_eq!(
        tx.sign_in_state(unconfirmed.id, w.a.id, "policy")
            .await
            .unwrap(),
        SignInState {
            totp: false,
            email: false,
            policy: Some(r#"{"min_length":14}"#.into()),
        },
        "an authenticator not yet confirmed is no second factor"
    );
    assert_eq!(
        tx.sign_in_state(none.id, w.b.id, "policy").await.unwrap(),
        SignInState::default(),
        "another document of the tenant is not its policy"
    );
}

/// [`Store::count_sign_in_attempt`] counts against the account's key as
/// [`StoreTx::count_login_attempt`] does (racing attempts each get their own count), reads the
/// address's count without changing it, and reads the found user's sign-in state.
pub async fn count_sign_in_attempt_counts_and_reads(store: &dyn Store) {
    let w = seed(store).await;
    let ann = user_of(&w.a, "ann");
    add_users(store, &[&ann]).await;
    let mut tx = write(store).await;
    tx.put_email_factor(ann.id, now()).await.unwrap();
    tx.put_setting(&setting(w.a.id, "policy", r#"{"min_length":16}"#))
        .await
        .unwrap();
    let at = now();
    let window_start = at - TimeDelta::minutes(15);
    assert_eq!(
        tx.count_login_attempt("account:ann", at, window_start)
            .await
            .unwrap(),
        1
    );
    for _ in 0..3 {
        tx.count_login_attempt("address:192.0.2.7", at, window_start)
            .await
            .unwrap();
    }
    commit(tx).await;

    let attempt = SignInAttempt {
        account: "account:ann",
        address: Some("address:192.0.2.7"),
        at,
        window_start,
        state_of: Some((ann.id, w.a.id, "policy")),
    };
    assert_eq!(
        store.count_sign_in_attempt(&attempt).await.unwrap(),
        SignInCount {
            account: 2,
            address: 3,
            state: Some(SignInState {
                totp: false,
                email: true,
                policy: Some(r#"{"min_length":16}"#.into()),
            }),
        },
        "the count goes on from the transaction's, the address's is read"
    );
    let unknown = SignInAttempt {
        account: "account:nobody",
        address: None,
        state_of: None,
        ..attempt
    };
    assert_eq!(
        store.count_sign_in_attempt(&unknown).await.unwrap(),
        SignInCount {
            account: 1,
            address: 0,
            state: None,
        }
    );
    let mut tx = read(store).await;
    assert_eq!(
        tx.login_attempts("address:192.0.2.7", window_start)
            .await
            .unwrap(),
        3,
        "reading the address's count does not change it"
    );
    drop(tx);

    let race = SignInAttempt {
        account: "account:race",
        ..unknown
    };
    racers_count_apart(|| async { store.count_sign_in_attempt(&race).await.unwrap().account })
        .await;
}

/// [`Store::login_record`] finds what [`StoreTx::login_record`] does, in any case, and does
/// not wait for a write transaction that is open meanwhile (a sign-in must not queue behind
/// writers to read an account).
pub async fn login_record_beside_a_writer(store: &dyn Store) {
    let w = seed(store).await;
    let alice = user_of(&w.a, "Alice");
    let mut tx = write(store).await;
    tx.insert_user(&alice, Some("$argon2id$stored"))
        .await
        .unwrap();
    commit(tx).await;
    let writer = write(store).await;
    let found = tokio::time::timeout(Duration::from_secs(10), store.login_record("aLICE"))
        .await
        .expect("read beside an open write transaction");
    assert_eq!(
        found.unwrap(),
        Some((alice, Some("$argon2id$stored".into())))
    );
    assert_eq!(store.login_record("nobody").await.unwrap(), None);
    drop(writer);
}

/// A batch's upgrade of a password hash replaces the hash it names and nothing else: not a
/// hash changed since it was read, not another user's.
pub async fn write_batch_upgrades_a_hash_only_from_the_one_read(store: &dyn Store) {
    let w = seed(store).await;
    let (a, b) = (user_of(&w.a, "upgraded"), user_of(&w.a, "bystander"));
    let mut tx = write(store).await;
    tx.insert_user(&a, Some("$argon2id$old-a")).await.unwrap();
    tx.insert_user(&b, Some("$argon2id$old-a")).await.unwrap();
    commit(tx).await;

    // As a login writes it: beside the session of the same user.
    let upgrade = BatchWrite::UpgradePasswordHash {
        user: a.id,
        from: "$argon2id$old-a",
        to: "$argon2id$new-a",
    };
    let session = token_of(&a, TokenKind::Session);
    store
        .write_batch(&[
            BatchWrite::InsertSignInToken {
                token: &session,
                hash: b"h-upgraded",
            },
            upgrade,
        ])
        .await
        .unwrap();
    let mut tx = read(store).await;
    assert_eq!(
        tx.password_hash(a.id).await.unwrap().as_deref(),
        Some("$argon2id$new-a")
    );
    assert_eq!(
        tx.get_token_by_hash(b"h-upgraded").await.unwrap(),
        Some(session)
    );
    assert_eq!(
        tx.password_hash(b.id).await.unwrap().as_deref(),
        Some("$argon2id$old-a"),
        "another user's hash stays"
    );
    drop(tx);

    // The password changed after the hash was read: the upgrade of the old one does nothing.
    let mut tx = write(store).await;
    tx.set_password_hash(a.id, Some("$argon2id$changed"))
        .await
        .unwrap();
    commit(tx).await;
    store.write_batch(&[upgrade]).await.unwrap();
    let mut tx = read(store).await;
    assert_eq!(
        tx.password_hash(a.id).await.unwrap().as_deref(),
        Some("$argon2id$changed")
    );
}

/// A sign-in token is stored only for a user who exists and is active, in a transaction and
/// in a batch (where the refusal keeps none of the batch); other tokens (an activation link
/// of a pending user) are stored as before.
pub async fn sign_in_tokens_need_an_active_user(store: &dyn Store) {
    let w = seed(store).await;
    let active = user_of(&w.a, "still-here");
    let mut disabled = user_of(&w.a, "disabled-meanwhile");
    let mut pending = user_of(&w.a, "not-yet-active");
    pending.status = UserStatus::Pending;
    add_users(store, &[&active, &disabled, &pending]).await;
    let mut tx = write(store).await;
    disabled.status = UserStatus::Disabled;
    tx.update_user(&disabled).await.unwrap();
    commit(tx).await;
    let gone = user_of(&w.a, "deleted-meanwhile");

    let mut tx = write(store).await;
    tx.insert_sign_in_token(&token_of(&active, TokenKind::Session), b"h-active")
        .await
        .unwrap();
    tx.insert_token(&token_of(&pending, TokenKind::Activation), b"h-link")
        .await
        .unwrap();
    commit(tx).await;
    for (i, user) in [&disabled, &pending, &gone].into_iter().enumerate() {
        let hash = format!("h-refused-{i}");
        let mut tx = write(store).await;
        match tx
            .insert_sign_in_token(&token_of(user, TokenKind::Session), hash.as_bytes())
            .await
        {
            Err(StoreError::UserNotActive) => {}
            other => panic!("{}: a sign-in token must be refused: {other:?}", user.login),
        }
        drop(tx);
        let audited = event(w.a.id, "auth.login", now());
        match store
            .write_batch(&[
                BatchWrite::Audit(&audited),
                BatchWrite::InsertSignInToken {
                    token: &token_of(user, TokenKind::Session),
                    hash: hash.as_bytes(),
                },
            ])
            .await
        {
            Err(StoreError::UserNotActive) => {}
            other => panic!("{}: a batch must be refused: {other:?}", user.login),
        }
        let mut tx = read(store).await;
        assert_eq!(tx.get_token_by_hash(hash.as_bytes()).await.unwrap(), None);
        let events = tx
            .list_audit(TenantScope::All, &AuditQuery::default(), first(100))
            .await
            .unwrap();
        assert!(
            events.iter().all(|e| e.id != audited.id),
            "the refused batch's audit event is not kept"
        );
    }
    let mut tx = read(store).await;
    assert!(tx.get_token_by_hash(b"h-active").await.unwrap().is_some());
    assert!(tx.get_token_by_hash(b"h-link").await.unwrap().is_some());
}

/// [`Store::write_batch`] applies every write or, when one fails, none of them, and the store
/// goes on working afterwards.
pub async fn write_batch_is_all_or_nothing(store: &dyn Store) {
    let w = seed(store).await;
    let u = user_of(&w.a, "batched");
    add_users(store, &[&u]).await;
    let at = now();
    let window_start = at - TimeDelta::minutes(15);
    let mut tx = write(store).await;
    for _ in 0..2 {
        tx.count_login_attempt("account:batched", at, window_start)
            .await
            .unwrap();
    }
    commit(tx).await;

    let session = token_of(&u, TokenKind::Session);
    let signed_in = event(w.a.id, "auth.login", at);
    store
        .write_batch(&[
            BatchWrite::ClearLoginAttempts("account:batched"),
            BatchWrite::CountLoginAttempt {
                key: "address:192.0.2.1",
                at,
                window_start,
            },
            BatchWrite::InsertSignInToken {
                token: &session,
                hash: b"h-batched",
            },
            BatchWrite::Audit(&signed_in),
        ])
        .await
        .unwrap();
    let audited = |events: Vec<AuditEvent>| events.into_iter().map(|e| e.id).collect::<Vec<_>>();
    let mut tx = read(store).await;
    assert_eq!(
        tx.login_attempts("account:batched", window_start)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        tx.login_attempts("address:192.0.2.1", window_start)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tx.get_token_by_hash(b"h-batched").await.unwrap(),
        Some(session.clone())
    );
    let scope = TenantScope::Tenant(w.a.id);
    let before = tx
        .list_audit(scope, &AuditQuery::default(), first(100))
        .await
        .unwrap();
    assert!(audited(before.clone()).contains(&signed_in.id));
    drop(tx);

    // The token's hash is taken: the batch fails at its last write, and its first two are
    // not kept either.
    let refused = event(w.a.id, "auth.login", at);
    match store
        .write_batch(&[
            BatchWrite::CountLoginAttempt {
                key: "address:192.0.2.1",
                at,
                window_start,
            },
            BatchWrite::Audit(&refused),
            BatchWrite::InsertSignInToken {
                token: &token_of(&u, TokenKind::Session),
                hash: b"h-batched",
            },
        ])
        .await
    {
        Err(StoreError::Unique(_)) => {}
        other => panic!("a batch reusing a token's hash must be refused: {other:?}"),
    }
    let mut tx = read(store).await;
    assert_eq!(
        tx.login_attempts("address:192.0.2.1", window_start)
            .await
            .unwrap(),
        1,
        "the failed batch's count is not kept"
    );
    let after = tx
        .list_audit(scope, &AuditQuery::default(), first(100))
        .await
        .unwrap();
    assert_eq!(audited(after), audited(before), "nor its audit event");
    drop(tx);

    // Nothing was left open: both a transaction and another batch still commit.
    let mut tx = write(store).await;
    tx.clear_login_attempts("address:192.0.2.1").await.unwrap();
    commit(tx).await;
    let later_event = event(w.a.id, "auth.logout", at);
    store
        .write_batch(&[BatchWrite::Audit(&later_event)])
        .await
        .unwrap();
    let mut tx = read(store).await;
    assert_eq!(
        tx.login_attempts("address:192.0.2.1", window_start)
            .await
            .unwrap(),
        0
    );
    let events = tx
        .list_audit(scope, &AuditQuery::default(), first(100))
        .await
        .unwrap();
    assert!(audited(events).contains(&later_event.id));
    drop(tx);

    // Writes on one row apply in the order given.
    let count = BatchWrite::CountLoginAttempt {
        key: "address:192.0.2.9",
        at,
        window_start,
    };
    let clear = BatchWrite::ClearLoginAttempts("address:192.0.2.9");
    for (writes, left) in [([count, count, clear], 0), ([clear, count, count], 2)] {
        store.write_batch(&writes).await.unwrap();
        let mut tx = read(store).await;
        assert_eq!(
            tx.login_attempts("address:192.0.2.9", window_start)
                .await
                .unwrap(),
            left
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk loads
// ---------------------------------------------------------------------------------------------

/// What a bulk load is given, and the memberships row-by-row upserts would leave from it.
struct BulkData {
    groups: Vec<Group>,
    users: Vec<(User, Option<String>)>,
    memberships: Vec<Membership>,
    expected: Vec<Membership>,
}

/// 1,234 users of tenant A and its customer with every field used (text that needs escaping
/// in some formats included), four groups, memberships given out of order, some twice.
/// `stored` is a user and group already in the store, whose membership the load gives again.
fn bulk_data(w: &World, stored: (&User, &Group), stored_membership: &Membership) -> BulkData {
    let first_names = ["Ann\tMarie", "back\\slash", "Zoë", "line\nbreak", "Ada"];
    let groups = vec![
        group_of(&w.a, GroupKind::Custom, "Bulk 0"),
        group_of(&w.a, GroupKind::Custom, "Bulk 1"),
        group_of(&w.a, GroupKind::Custom, "Bulk 2"),
        group_of(&w.customer, GroupKind::Custom, "Bulk customers"),
    ];
    let statuses = [
        UserStatus::Active,
        UserStatus::Disabled,
        UserStatus::Pending,
    ];
    let users: Vec<(User, Option<String>)> = (0..1234)
        .map(|i| {
            let owner = if i % 5 == 0 { &w.customer } else { &w.a };
            let mut u = user_of(owner, &format!("Bulk{i:04}"));
            u.email = (i % 4 != 0).then(|| format!("Bulk.{i}@Example.org"));
            u.email_verified = i % 3 == 0;
            u.first_name = Some(first_names[i % first_names.len()].to_string());
            u.last_name = (i % 6 != 0).then(|| format!("Last{}", i % 10));
            u.phone = (i % 2 == 0).then(|| format!("+44 20 {i:04}"));
            u.kind = if i % 9 == 0 {
                UserKind::External
            } else {
                UserKind::Internal
            };
            u.status = statuses[i % statuses.len()];
            u.must_change_password = i % 8 == 0;
            u.version = 1 + (i % 3) as i64;
            (u, (i % 2 == 0).then(|| format!("$argon2id$v=19$bulk{i}")))
        })
        .collect();
    let mut given = Vec::new();
    let mut expected = std::collections::BTreeMap::new();
    for (i, (u, _)) in users.iter().enumerate() {
        let mut m = membership(&groups[i % 3], u);
        if i % 7 == 0 {
            m.valid_until = Some(later(3600));
        }
        given.push(m.clone());
        if i % 5 == 0 {
            given.push(membership(&groups[3], u));
        }
        if i < 50 {
            // Given again, later: the window changes, the creation time stays the first.
            let again = Membership {
                valid_from: Some(later(-60)),
                valid_until: None,
                created_at: later(5),
                ..m.clone()
            };
            expected.insert(
                (m.group, m.user),
                Membership {
                    created_at: m.created_at,
                    ..again.clone()
                },
            );
            given.push(again);
        }
    }
    let (stored_user, stored_group) = stored;
    // A stored user joins a loaded group; a stored membership is given again with a window.
    given.push(membership(&groups[0], stored_user));
    let regiven = Membership {
        valid_until: Some(later(7200)),
        created_at: later(10),
        ..stored_membership.clone()
    };
    given.push(regiven.clone());
    expected.insert(
        (stored_group.id, stored_user.id),
        Membership {
            created_at: stored_membership.created_at,
            ..regiven
        },
    );
    for m in &given {
        expected
            .entry((m.group, m.user))
            .or_insert_with(|| m.clone());
    }
    // Out of key order (users newest first), a user's memberships in the order given.
    let mut memberships = given;
    memberships.sort_by_key(|m| std::cmp::Reverse(m.user));
    BulkData {
        groups,
        users,
        memberships,
        expected: expected.into_values().collect(),
    }
}

/// Every id `query` lists, page by page.
async fn all_user_ids(tx: &mut dyn StoreTx, query: UserQuery) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::new();
    loop {
        let page = PageReq {
            after: out.last().copied(),
            limit: 500,
        };
        let rows = tx.list_users(ALL, &query, page).await.expect("list users");
        let done = rows.len() < 500;
        out.extend(rows.iter().map(|u| u.id));
        if done {
            return out;
        }
    }
}

/// A bulk load leaves what the same rows written through transactions would: every user with
/// every field and hash, memberships merged as upserts merge them (with stored ones too), and
/// lists by owner, status, group and prefix, which the rebuilt indexes serve, as expected.
pub async fn bulk_load_writes_what_rows_would(store: &dyn Store) {
    let w = seed(store).await;
    let early = user_of(&w.a, "early");
    let early_group = group_of(&w.a, GroupKind::Custom, "Early");
    let early_membership = membership(&early_group, &early);
    let mut tx = write(store).await;
    tx.insert_user(&early, None).await.unwrap();
    tx.insert_group(&early_group).await.unwrap();
    tx.upsert_membership(&early_membership).await.unwrap();
    commit(tx).await;
    let data = bulk_data(&w, (&early, &early_group), &early_membership);

    let mut load = store.bulk_load().await.expect("start a bulk load");
    load.insert_groups(&data.groups).await.unwrap();
    let (ms_a, ms_b) = data.memberships.split_at(data.memberships.len() / 2);
    let (users_a, users_b) = data.users.split_at(700);
    load.insert_users(users_a).await.unwrap();
    load.upsert_memberships(ms_a).await.unwrap();
    load.insert_users(users_b).await.unwrap();
    load.upsert_memberships(ms_b).await.unwrap();
    load.finish().await.expect("finish the bulk load");

    let mut tx = read(store).await;
    for (u, hash) in &data.users {
        assert_eq!(tx.get_user(ALL, u.id).await.unwrap().as_ref(), Some(u));
        assert_eq!(&tx.password_hash(u.id).await.unwrap(), hash, "{}", u.login);
    }
    for g in &data.groups {
        assert_eq!(tx.get_group(ALL, g.id).await.unwrap().as_ref(), Some(g));
    }
    let all = tx.list_all_memberships(None, 10_000).await.unwrap();
    assert_eq!(all, data.expected, "memberships as upserts leave them");
    let (probe, _) = &data.users[35];
    let mut of_probe: Vec<Membership> = data
        .expected
        .iter()
        .filter(|m| m.user == probe.id)
        .cloned()
        .collect();
    of_probe.sort_by_key(|m| m.group);
    assert_eq!(tx.memberships_of_user(probe.id).await.unwrap(), of_probe);
    assert_eq!(
        tx.get_user_by_login("BULK1233")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(data.users[1233].0.id)
    );

    let expect = |keep: &dyn Fn(&User) -> bool| -> Vec<Id> {
        sorted(
            data.users
                .iter()
                .map(|(u, _)| u)
                .filter(|u| keep(u))
                .map(|u| u.id)
                .collect(),
        )
    };
    let cases: Vec<(UserQuery, Vec<Id>)> = vec![
        (
            UserQuery {
                owner: Some(w.customer.id),
                ..UserQuery::default()
            },
            expect(&|u| u.owner == w.customer.id),
        ),
        (
            UserQuery {
                status: Some(UserStatus::Disabled),
                owner: Some(w.a.id),
                ..UserQuery::default()
            },
            expect(&|u| u.owner == w.a.id && u.status == UserStatus::Disabled),
        ),
        (
            UserQuery {
                group: Some(data.groups[1].id),
                ..UserQuery::default()
            },
            expect(&|u| {
                data.expected
                    .iter()
                    .any(|m| m.group == data.groups[1].id && m.user == u.id)
            }),
        ),
        (
            UserQuery {
                prefix: Some("bulk12".into()),
                ..UserQuery::default()
            },
            expect(&|u| u.login.starts_with("Bulk12")),
        ),
        (
            UserQuery {
                prefix: Some("bulk.3".into()),
                ..UserQuery::default()
            },
            expect(&|u| u.email.as_deref().is_some_and(|e| e.starts_with("Bulk.3"))),
        ),
        (
            UserQuery {
                prefix: Some("ann\tm".into()),
                ..UserQuery::default()
            },
            expect(&|u| u.first_name.as_deref() == Some("Ann\tMarie")),
        ),
        (
            UserQuery {
                prefix: Some("last7".into()),
                ..UserQuery::default()
            },
            expect(&|u| u.last_name.as_deref() == Some("Last7")),
        ),
    ];
    for (query, want) in cases {
        assert_eq!(
            all_user_ids(tx.as_mut(), query.clone()).await,
            want,
            "{query:?}"
        );
    }
    let counts = tx.row_counts().await.unwrap();
    assert_eq!(counts.users, 1 + data.users.len() as u64);
    assert_consistent(tx.as_mut()).await;
}

/// A bulk load keeps the rules: a duplicate login fails it at once, a membership of a missing
/// user fails it by `finish`, and a failed or abandoned load leaves nothing behind; the store
/// works as before afterwards, with logins still unique, and takes another load.
pub async fn bulk_load_keeps_the_rules(store: &dyn Store) {
    let w = seed(store).await;
    let kept: Vec<(User, Option<String>)> = ["keep-1", "keep-2"]
        .iter()
        .map(|l| (user_of(&w.a, l), None))
        .collect();
    let mut load = store.bulk_load().await.unwrap();
    load.insert_users(&kept).await.unwrap();
    load.finish().await.unwrap();

    let mut tx = write(store).await;
    assert!(matches!(
        tx.insert_user(&user_of(&w.b, "KEEP-2"), None).await,
        Err(StoreError::Unique("login"))
    ));
    drop(tx);

    // A duplicate login inside a load.
    let group = group_of(&w.a, GroupKind::Custom, "Never");
    let fresh = user_of(&w.a, "fresh");
    let mut load = store.bulk_load().await.unwrap();
    load.insert_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    load.insert_users(&[(fresh.clone(), None)]).await.unwrap();
    let dup = load.insert_users(&[(user_of(&w.a, "Keep-1"), None)]).await;
    assert!(matches!(dup, Err(StoreError::Unique("login"))), "{dup:?}");
    drop(load);

    // A membership of a user that does not exist.
    let mut load = store.bulk_load().await.unwrap();
    load.insert_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    let ghost = user_of(&w.a, "ghost");
    let failed = match load.upsert_memberships(&[membership(&group, &ghost)]).await {
        Err(_) => true,
        Ok(()) => load.finish().await.is_err(),
    };
    assert!(failed, "a membership of a missing user is refused");

    // Abandoned without finish.
    let mut load = store.bulk_load().await.unwrap();
    load.insert_groups(std::slice::from_ref(&group))
        .await
        .unwrap();
    load.insert_users(&[(fresh.clone(), None)]).await.unwrap();
    load.upsert_memberships(&[membership(&group, &fresh)])
        .await
        .unwrap();
    drop(load);

    let mut tx = read(store).await;
    assert_eq!(tx.get_user_by_login("fresh").await.unwrap(), None);
    assert_eq!(tx.get_group(ALL, group.id).await.unwrap(), None);
    assert_eq!(tx.row_counts().await.unwrap().users, 2);
    drop(tx);

    // The store goes on as before (references checked again), and takes another load.
    let mut tx = write(store).await;
    tx.insert_group(&group).await.unwrap();
    assert!(
        tx.upsert_membership(&membership(&group, &ghost))
            .await
            .is_err(),
        "a membership of a missing user, after the loads"
    );
    drop(tx);
    let mut tx = write(store).await;
    tx.insert_group(&group).await.unwrap();
    tx.insert_user(&fresh, None).await.unwrap();
    tx.upsert_membership(&membership(&group, &fresh))
        .await
        .unwrap();
    commit(tx).await;
    let later_user = user_of(&w.a, "keep-3");
    let mut load = store.bulk_load().await.unwrap();
    load.insert_users(&[(later_user.clone(), None)])
        .await
        .unwrap();
    load.upsert_memberships(&[membership(&group, &later_user)])
        .await
        .unwrap();
    load.finish().await.unwrap();
    let mut tx = read(store).await;
    let prefix = UserQuery {
        prefix: Some("keep-".into()),
        ..UserQuery::default()
    };
    let mut want = vec![kept[0].0.id, kept[1].0.id, later_user.id];
    want.sort();
    assert_eq!(all_user_ids(tx.as_mut(), prefix).await, want);
    let members = UserQuery {
        group: Some(group.id),
        ..UserQuery::default()
    };
    assert_eq!(
        all_user_ids(tx.as_mut(), members).await,
        sorted(vec![fresh.id, later_user.id])
    );
    assert_consistent(tx.as_mut()).await;
}
