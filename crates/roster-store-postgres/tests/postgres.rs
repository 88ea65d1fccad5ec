//! What the PostgreSQL store does beyond the shared contract: connecting, migrating, the
//! schema's collations, error mapping, concurrent writers and data it did not write.

mod common;

use common::{test_url, TestDb};
use roster_core::access::builtin;
use roster_core::model::{Effect, GrantQuery, ScopeKind, SubjectKind};
use roster_core::model::{Group, GroupKind, GroupLevel, Membership, OrgKind, OrgNode, User};
use roster_core::model::{UserKind, UserStatus};
use roster_core::page::PageReq;
use roster_core::store::{Store, StoreError, TenantScope};
use roster_core::{new_id, now, SYSTEM_NODE_ID};
use roster_store_postgres::PgStore;
use sqlx::migrate::Migrator;
use std::path::Path;
use std::time::{Duration, Instant};

fn root() -> OrgNode {
    OrgNode {
        id: SYSTEM_NODE_ID,
        kind: OrgKind::System,
        name: "System".into(),
        parent: None,
        tenant: SYSTEM_NODE_ID,
        path: vec![SYSTEM_NODE_ID],
        version: 1,
        created_at: now(),
        updated_at: now(),
    }
}

fn user(owner: &OrgNode, login: &str) -> User {
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
        created_at: now(),
        updated_at: now(),
    }
}

/// Inserts the system root.
async fn add_root(store: &PgStore) -> OrgNode {
    let root = root();
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root).await.unwrap();
    tx.commit().await.unwrap();
    root
}

#[tokio::test]
async fn connect_does_not_migrate_and_migrating_twice_is_fine() {
    let Some(db) = TestDb::unmigrated().await else {
        return;
    };
    db.store.ping().await.expect("ping");
    let mut tx = db.store.read().await.unwrap();
    match tx.get_user(TenantScope::All, new_id()).await {
        Err(StoreError::Other(message)) => assert!(message.contains("does not exist"), "{message}"),
        other => panic!("an unmigrated database has no tables: {other:?}"),
    }
    drop(tx);

    db.store.migrate().await.expect("migrate");
    db.store
        .migrate()
        .await
        .expect("migrating again does nothing");
    let mut tx = db.store.read().await.unwrap();
    assert_eq!(tx.get_user(TenantScope::All, new_id()).await.unwrap(), None);
    drop(tx);

    // open_and_migrate with the schema chosen in the URL finds everything in place.
    let url = test_url().expect("the URL is set");
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = PgStore::open_and_migrate(&format!(
        "{url}{sep}options=-c%20search_path%3D{}",
        db.schema
    ))
    .await
    .expect("open and migrate");
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.get_user(TenantScope::All, new_id()).await.unwrap(), None);
    drop(tx);
    store.close().await;
    db.finish().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    let started = Instant::now();
    match PgStore::connect("postgres://postgres@127.0.0.1:1/test").await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("nothing listens on port 1: {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "gave up after {:?}",
        started.elapsed()
    );
    for url in [
        "mysql://root@127.0.0.1/test",
        "postgres://127.0.0.1:notaport/test",
    ] {
        match PgStore::connect(url).await {
            Err(StoreError::Other(message)) => assert!(message.contains("URL"), "{message}"),
            other => panic!("{url} is not a PostgreSQL URL: {other:?}"),
        }
    }
}

#[tokio::test]
async fn read_transactions_refuse_writes() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut tx = db.store.read().await.unwrap();
    match tx.insert_org_node(&root()).await {
        Err(StoreError::Other(message)) => assert!(message.contains("read-only"), "{message}"),
        other => panic!("a read transaction must refuse writes: {other:?}"),
    }
    drop(tx);
    add_root(&db.store).await;
    db.finish().await;
}

#[tokio::test]
async fn there_is_one_root_and_paths_are_checked() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let root = add_root(&db.store).await;
    let second_id = new_id();
    let second = OrgNode {
        id: second_id,
        path: vec![second_id],
        tenant: second_id,
        ..root.clone()
    };
    let mut tx = db.store.write().await.unwrap();
    match tx.insert_org_node(&second).await {
        Err(StoreError::Unique("system root")) => {}
        other => panic!("a second root must be refused: {other:?}"),
    }
    drop(tx);
    let mut tx = db.store.write().await.unwrap();
    match tx.insert_org_node(&root).await {
        Err(StoreError::Unique("id")) => {}
        other => panic!("the same id twice must be refused: {other:?}"),
    }
    drop(tx);

    let tenant_id = new_id();
    let crooked = OrgNode {
        id: tenant_id,
        kind: OrgKind::Tenant,
        name: "Crooked".into(),
        parent: Some(SYSTEM_NODE_ID),
        tenant: tenant_id,
        path: vec![tenant_id],
        ..root.clone()
    };
    let mut tx = db.store.write().await.unwrap();
    tx.insert_org_node(&crooked).await.unwrap();
    let problems = tx.consistency_problems().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&tenant_id.to_string()) && p.contains("path")),
        "{problems:?}"
    );
    drop(tx);
    db.finish().await;
}

/// Uniqueness and prefix ranges rely on bytewise comparison, whatever the database's default
/// collation (the test database's may well be bytewise already, so this looks at the schema).
#[tokio::test]
async fn searched_text_columns_compare_bytewise() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut raw = db.raw().await;
    let columns: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, collation_name::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND (column_name LIKE '%\\_lc' OR column_name IN ('path', 'action')) \
         ORDER BY 1, 2",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert_eq!(columns.len(), 12, "{columns:?}");
    for (table, column, collation) in columns {
        assert_eq!(collation.as_deref(), Some("C"), "{table}.{column}");
    }
    db.finish().await;
}

#[tokio::test]
async fn concurrent_writers_of_one_login_one_wins() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let root = add_root(&db.store).await;
    let mut first = db.store.write().await.unwrap();
    first.insert_user(&user(&root, "same"), None).await.unwrap();
    let second = async {
        let mut tx = db.store.write().await?;
        // Waits for the first writer's key, then sees it committed.
        tx.insert_user(&user(&root, "SAME"), None).await?;
        tx.commit().await
    };
    let commit_first = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.commit().await
    };
    let (second, first) = tokio::join!(second, commit_first);
    first.expect("the first writer commits");
    match second {
        Err(StoreError::Unique("login")) => {}
        other => panic!("the second writer must see the first's login: {other:?}"),
    }
    db.finish().await;
}

#[tokio::test]
async fn a_terminated_connection_is_unavailable_and_the_pool_recovers() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let mut tx = db.store.read().await.unwrap();
    let mut raw = db.raw().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&db.schema)
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert!(!killed.is_empty());
    match tx.get_user(TenantScope::All, new_id()).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a terminated connection is unavailable: {other:?}"),
    }
    drop(tx);
    db.store.ping().await.expect("a fresh connection");
    let mut tx = db.store.read().await.unwrap();
    assert_eq!(tx.get_user(TenantScope::All, new_id()).await.unwrap(), None);
    drop(tx);
    db.finish().await;
}

/// Batches larger than one statement holds, with a membership named twice in one batch.
#[tokio::test]
async fn bulk_writes_span_statements_and_merge_duplicates() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let root = add_root(&db.store).await;
    let at = now();
    let groups: Vec<Group> = (0..3)
        .map(|i| Group {
            id: new_id(),
            tenant: root.tenant,
            owner: root.id,
            name: format!("g{i}"),
            description: String::new(),
            level: GroupLevel::Org,
            kind: GroupKind::Custom,
            version: 1,
            created_at: at,
            updated_at: at,
        })
        .collect();
    let users: Vec<(User, Option<String>)> = (0..2345)
        .map(|i| (user(&root, &format!("u{i:05}")), None))
        .collect();
    let mut memberships: Vec<Membership> = groups
        .iter()
        .flat_map(|g| {
            users.iter().map(|(u, _)| Membership {
                group: g.id,
                user: u.id,
                tenant: root.tenant,
                valid_from: None,
                valid_until: None,
                created_at: at,
            })
        })
        .collect();
    let twice = Membership {
        valid_until: Some(at + chrono::TimeDelta::hours(1)),
        created_at: at + chrono::TimeDelta::seconds(5),
        ..memberships[0].clone()
    };
    memberships.push(twice.clone());
    let mut tx = db.store.write().await.unwrap();
    for g in &groups {
        tx.insert_group(g).await.unwrap();
    }
    tx.insert_users(&users).await.unwrap();
    tx.upsert_memberships(&memberships).await.unwrap();
    tx.commit().await.unwrap();

    let mut raw = db.raw().await;
    let counts: (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM memberships)")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert_eq!(counts, (2345, 3 * 2345));
    let mut tx = db.store.read().await.unwrap();
    assert_eq!(
        tx.get_membership(twice.group, twice.user).await.unwrap(),
        Some(Membership {
            created_at: at,
            ..twice
        }),
        "the later window, the first creation time"
    );
    let last = &users[2344].0;
    assert_eq!(
        tx.get_user(TenantScope::All, last.id).await.unwrap(),
        Some(last.clone())
    );
    drop(tx);
    db.finish().await;
}

#[tokio::test]
async fn foreign_data_is_an_error_not_a_panic() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let root = add_root(&db.store).await;
    let u = user(&root, "someone");
    let mut tx = db.store.write().await.unwrap();
    tx.insert_user(&u, None).await.unwrap();
    tx.commit().await.unwrap();

    let mut raw = db.raw().await;
    sqlx::query("UPDATE users SET status = 'on holiday'")
        .execute(&mut raw)
        .await
        .unwrap();
    let mut tx = db.store.read().await.unwrap();
    match tx.get_user(TenantScope::All, u.id).await {
        Err(StoreError::Other(message)) => assert!(message.contains("on holiday"), "{message}"),
        other => panic!("an unknown status must be reported: {other:?}"),
    }
    drop(tx);

    sqlx::query("UPDATE users SET status = 'active', created_at = -9223372036854775807")
        .execute(&mut raw)
        .await
        .unwrap();
    let mut tx = db.store.read().await.unwrap();
    let listed = tx
        .list_users(
            TenantScope::All,
            &Default::default(),
            PageReq {
                after: None,
                limit: 10,
            },
        )
        .await;
    assert!(matches!(listed, Err(StoreError::Other(_))), "{listed:?}");
    drop(tx);
    db.finish().await;
}

/// A transaction dropped without commit must not leave its connection "idle in transaction"
/// (holding locks, blocking DDL and vacuum) until the pool happens to reuse it. sqlx pings
/// connections as they return to the pool, which sends the queued ROLLBACK; this guards that.
#[tokio::test]
async fn abandoned_transactions_do_not_linger() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    add_root(&db.store).await;
    for _ in 0..3 {
        let mut tx = db.store.read().await.unwrap();
        tx.get_org_node(TenantScope::All, roster_core::SYSTEM_NODE_ID)
            .await
            .unwrap();
        drop(tx);
        let mut tx = db.store.write().await.unwrap();
        tx.get_org_node(TenantScope::All, roster_core::SYSTEM_NODE_ID)
            .await
            .unwrap();
        drop(tx);
    }
    let mut raw = db.raw().await;
    let mut lingering = -1;
    for _ in 0..50 {
        lingering = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
        )
        .bind(&db.schema)
        .fetch_one(&mut raw)
        .await
        .unwrap();
        if lingering == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(lingering, 0, "connections left idle in transaction");
    drop(raw);
    db.finish().await;
}

/// Predefined groups that exist when the access tables arrive get their built-in grants:
/// Administrators the Administrator role, Users the Read only role, each on its node; other
/// groups get none.
#[tokio::test]
async fn migrating_gives_existing_predefined_groups_their_grants() {
    let Some(db) = TestDb::unmigrated().await else {
        return;
    };
    let mut before_access = Migrator::new(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )))
    .await
    .unwrap();
    before_access.migrations.to_mut().retain(|m| m.version < 4);
    let mut raw = db.raw().await;
    before_access.run(&mut raw).await.unwrap();

    let root = root();
    let tenant_id = new_id();
    let tenant = OrgNode {
        id: tenant_id,
        kind: OrgKind::Tenant,
        name: "Tenant".into(),
        parent: Some(SYSTEM_NODE_ID),
        tenant: tenant_id,
        path: vec![SYSTEM_NODE_ID, tenant_id],
        ..root.clone()
    };
    for n in [&root, &tenant] {
        sqlx::query(
            "INSERT INTO org_nodes (id, kind, name, name_lc, parent_id, tenant_id, path, \
             version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, 0)",
        )
        .bind(n.id)
        .bind(n.kind.as_str())
        .bind(&n.name)
        .bind(n.name.to_lowercase())
        .bind(n.parent)
        .bind(n.tenant)
        .bind(n.path.iter().map(|id| format!("{id}/")).collect::<String>())
        .execute(&mut raw)
        .await
        .unwrap();
    }
    let kinds = [
        GroupKind::Administrators,
        GroupKind::Users,
        GroupKind::All,
        GroupKind::Custom,
    ];
    let mut groups = Vec::new();
    for kind in kinds {
        let id = new_id();
        sqlx::query(
            "INSERT INTO user_groups (id, tenant_id, owner_id, name, name_lc, description, \
             level, kind, version, created_at, updated_at) \
             VALUES ($1, $2, $2, $3, $3, '', 'org', $3, 1, 0, 0)",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(kind.as_str())
        .execute(&mut raw)
        .await
        .unwrap();
        groups.push(id);
    }
    drop(raw);

    let started = now();
    db.store.migrate().await.expect("the access migration");
    let mut tx = db.store.read().await.unwrap();
    let mut grants = tx
        .list_grants(
            TenantScope::Tenant(tenant_id),
            &GrantQuery::default(),
            PageReq {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    grants.sort_by_key(|g| g.role);
    assert_eq!(grants.len(), 2, "{grants:?}");
    for (grant, (group, role)) in grants.iter().zip([
        (groups[0], builtin::ADMINISTRATOR_ROLE),
        (groups[1], builtin::READ_ONLY_ROLE),
    ]) {
        assert_eq!(grant.subject, group);
        assert_eq!(grant.subject_kind, SubjectKind::Group);
        assert_eq!(grant.role, Some(role));
        assert!(grant.permissions.is_empty());
        assert_eq!(
            (grant.scope, grant.scope_kind),
            (tenant_id, ScopeKind::Node)
        );
        assert_eq!(grant.tenant, tenant_id);
        assert_eq!(grant.effect, Effect::Allow);
        assert_eq!((grant.valid_from, grant.valid_until), (None, None));
        assert_eq!(grant.version, 1);
        assert!(grant.created_at >= started - chrono::TimeDelta::seconds(5));
        assert_eq!(grant.created_at, grant.updated_at);
    }
    assert_ne!(grants[0].id, grants[1].id);
    assert_eq!(tx.access_version().await.unwrap(), 0);
    assert_eq!(
        tx.consistency_problems().await.unwrap(),
        Vec::<String>::new()
    );
    drop(tx);
    db.finish().await;
}

/// Every index and constraint of the schema, with its definition.
async fn schema(conn: &mut sqlx::PgConnection) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes \
         WHERE schemaname = current_schema() \
         UNION ALL SELECT conrelid::regclass::text, conname::text, \
         pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END \
         FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
         ORDER BY 1, 2, 3",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// A bulk load drops indexes and foreign keys while it runs; finished or abandoned, it leaves
/// every index and constraint as it found them, and a finished one leaves fresh planner
/// statistics for what it loaded.
#[tokio::test]
async fn bulk_load_leaves_the_schema_as_it_was() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    let root = add_root(&db.store).await;
    let mut conn = db.raw().await;
    let before = schema(&mut conn).await;
    assert!(before.iter().any(|(_, name, _)| name == "memberships_user"));

    let mut load = db.store.bulk_load().await.unwrap();
    load.insert_users(&[(user(&root, "abandoned"), None)])
        .await
        .unwrap();
    drop(load);
    assert_eq!(schema(&mut conn).await, before, "after an abandoned load");

    let users: Vec<(User, Option<String>)> = (0..300)
        .map(|i| (user(&root, &format!("loaded{i}")), None))
        .collect();
    let mut load = db.store.bulk_load().await.unwrap();
    load.insert_users(&users).await.unwrap();
    load.finish().await.unwrap();
    assert_eq!(schema(&mut conn).await, before, "after a finished load");
    let analyzed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() \
         AND tablename = 'users' AND attname = 'login_lc'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(analyzed, 1, "planner statistics of the loaded users");
    drop(conn);
    db.finish().await;
}
