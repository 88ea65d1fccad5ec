//! What the SQLite store does beyond the shared contract: opening, migrating, the file's
//! settings, and how it copes with data it did not write.

use roster_core::access::builtin;
use roster_core::model::{
    AuditEvent, AuditQuery, Effect, GrantQuery, Group, GroupKind, GroupLevel, OrgKind, OrgNode,
    ScopeKind, SubjectKind, User, UserKind, UserStatus,
};
use roster_core::page::PageReq;
use roster_core::store::{BatchWrite, Store, StoreError, TenantScope};
use roster_core::{new_id, now, SYSTEM_NODE_ID};
use roster_store_sqlite::SqliteStore;
use sqlx::migrate::Migrator;
use sqlx::{Connection, SqliteConnection};
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

async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("a second connection to the file")
}

#[tokio::test]
async fn open_creates_folders_uses_wal_and_does_not_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/roster.db");
    let store = SqliteStore::open(&path).await.expect("open");
    assert!(path.exists());
    store.ping().await.expect("ping");

    let mut tx = store.read().await.unwrap();
    match tx.get_user(TenantScope::All, new_id()).await {
        Err(StoreError::Other(message)) => assert!(message.contains("no such table"), "{message}"),
        other => panic!("an unmigrated database has no tables: {other:?}"),
    }
    drop(tx);

    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrating again does nothing");
    let mut tx = store.read().await.unwrap();
    assert_eq!(tx.get_user(TenantScope::All, new_id()).await.unwrap(), None);
    drop(tx);

    let mut conn = raw(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let root = root();
    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root).await.unwrap();
    tx.commit().await.unwrap();
    drop(store);

    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        tx.get_org_node(TenantScope::All, SYSTEM_NODE_ID)
            .await
            .unwrap(),
        Some(root)
    );
}

#[tokio::test]
async fn there_is_one_root_and_paths_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_and_migrate(&dir.path().join("roster.db"))
        .await
        .unwrap();
    let root = root();
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root).await.unwrap();
    tx.commit().await.unwrap();

    let second_id = new_id();
    let second = OrgNode {
        id: second_id,
        path: vec![second_id],
        tenant: second_id,
        ..root.clone()
    };
    let mut tx = store.write().await.unwrap();
    match tx.insert_org_node(&second).await {
        Err(StoreError::Unique("system root")) => {}
        other => panic!("a second root must be refused: {other:?}"),
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
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&crooked).await.unwrap();
    let problems = tx.consistency_problems().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&tenant_id.to_string()) && p.contains("path")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn foreign_data_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    let root = root();
    let u = user(&root, "someone");
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root).await.unwrap();
    tx.insert_user(&u, None).await.unwrap();
    tx.commit().await.unwrap();

    let mut conn = raw(&path).await;
    sqlx::query("UPDATE users SET status = 'on holiday'")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut tx = store.read().await.unwrap();
    match tx.get_user(TenantScope::All, u.id).await {
        Err(StoreError::Other(message)) => assert!(message.contains("on holiday"), "{message}"),
        other => panic!("an unknown status must be reported: {other:?}"),
    }
    drop(tx);

    sqlx::query("UPDATE users SET status = 'active', id = x'0102'")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut tx = store.read().await.unwrap();
    let listed = tx
        .list_users(
            TenantScope::All,
            &Default::default(),
            roster_core::page::PageReq {
                after: None,
                limit: 10,
            },
        )
        .await;
    assert!(matches!(listed, Err(StoreError::Other(_))), "{listed:?}");
}

/// Fills a migrated file with a large install (as plain SQL, so the load itself is quick):
/// `users` users each in three of 1,000 groups, `resources` resources, each in one of 100
/// resource groups, and two grants per resource.
async fn fill_large_install(path: &Path, users: i64, resources: i64) {
    let mut conn = raw(path).await;
    let root = format!("x'{}'", SYSTEM_NODE_ID.simple());
    let id = |prefix: &str, n: &str| format!("unhex(printf('{prefix}%030x', {n}))");
    let statements = [
        format!(
            "INSERT INTO org_nodes (id, kind, name, name_lc, parent_id, tenant_id, path, version, \
             created_at, updated_at) VALUES ({root}, 'system', 'System', 'system', NULL, {root}, \
             '{SYSTEM_NODE_ID}/', 1, 0, 0)"
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
             INSERT INTO user_groups (id, tenant_id, owner_id, name, name_lc, description, level, \
             kind, version, created_at, updated_at) SELECT {}, {root}, {root}, 'g' || i, \
             'g' || i, '', 'org', 'custom', 1, 0, 0 FROM n",
            id("01", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users}) \
             INSERT INTO users (id, tenant_id, owner_id, login, login_lc, email_verified, kind, \
             status, must_change_password, version, created_at, updated_at) SELECT {}, {root}, \
             {root}, 'u' || i, 'u' || i, 0, 'internal', \
             CASE WHEN i % 10 = 0 THEN 'disabled' ELSE 'active' END, 0, 1, 0, 0 FROM n",
            id("02", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users}), \
             k(j) AS (VALUES (0), (1), (2)) \
             INSERT INTO memberships (group_id, user_id, tenant_id, created_at) \
             SELECT {}, {}, {root}, 0 FROM n, k ORDER BY 1, 2",
            id("01", "(i + j * 7) % 1000 + 1"),
            id("02", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
             INSERT INTO resource_groups (id, tenant_id, owner_id, name, name_lc, description, \
             version, created_at, updated_at) SELECT {}, {root}, {root}, 'rg' || i, 'rg' || i, \
             '', 1, 0, 0 FROM n",
            id("03", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {resources}) \
             INSERT INTO resources (id, tenant_id, owner_id, rtype, name, name_lc, version, \
             created_at, updated_at) SELECT {}, {root}, {root}, 'device', 'r' || i, 'r' || i, 1, \
             0, 0 FROM n",
            id("04", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {resources}) \
             INSERT INTO resource_group_members (group_id, resource_id) SELECT {}, {} FROM n \
             ORDER BY 1, 2",
            id("03", "i % 100 + 1"),
            id("04", "i")
        ),
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {resources}), \
             k(j) AS (VALUES (0), (1)) \
             INSERT INTO grants (id, tenant_id, subject_id, subject_kind, role_id, permissions, \
             scope_id, scope_kind, effect, valid_from, valid_until, version, created_at, \
             updated_at) SELECT {}, {root}, CASE j WHEN 0 THEN {} ELSE {} END, \
             CASE j WHEN 0 THEN 'user' ELSE 'group' END, CASE j WHEN 0 THEN NULL ELSE \
             x'00000000000070008000000000000103' END, CASE j WHEN 0 THEN '[\"device:read\"]' \
             ELSE '[]' END, {}, 'resource', 'allow', NULL, NULL, 1, 0, 0 FROM n, k",
            id("05", "i * 2 + j"),
            id("02", &format!("i % {users} + 1")),
            id("01", "i % 1000 + 1"),
            id("04", "i")
        ),
    ];
    let mut tx = conn.begin().await.unwrap();
    for sql in &statements {
        sqlx::query(sql).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// The access index loads everything at start-up: a large install must load in well under two
/// seconds (about half a second in an optimised build on an idle machine; the bound leaves room
/// for a busy one, and unoptimised builds get more).
#[tokio::test]
async fn access_snapshot_of_a_large_install_is_quick() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    fill_large_install(&path, 100_000, 100_000).await;

    let started = Instant::now();
    let mut tx = store.read().await.unwrap();
    let snapshot = tx.access_snapshot().await.unwrap();
    drop(tx);
    let took = started.elapsed();
    eprintln!("access snapshot took {took:?}");
    assert_eq!(snapshot.users.len(), 100_000);
    assert_eq!(snapshot.users.iter().filter(|u| u.active).count(), 90_000);
    assert_eq!(snapshot.groups.len(), 1000);
    assert_eq!(snapshot.memberships.len(), 300_000);
    assert_eq!(snapshot.resources.len(), 100_000);
    assert_eq!(snapshot.resource_group_members.len(), 100_000);
    assert_eq!(snapshot.grants.len(), 200_000);
    assert_eq!(
        snapshot
            .grants
            .iter()
            .filter(|g| g.permissions == ["device:read"])
            .count(),
        100_000
    );
    assert_eq!(
        snapshot.grants.iter().filter(|g| g.role.is_none()).count(),
        100_000
    );
    let viewer = snapshot.grants.iter().find(|g| g.role.is_some()).unwrap();
    assert_eq!(
        viewer.role,
        Some(roster_core::access::builtin::VIEWER_ROLE),
        "{viewer:?}"
    );
    let bound = if cfg!(debug_assertions) {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(2)
    };
    assert!(took < bound, "took {took:?}");
}

/// The rows the planner's statistics give `table` (the largest first number of its entries
/// in `sqlite_stat1`), if it has been analysed.
async fn analysed_rows(path: &Path, table: &str) -> Option<i64> {
    let mut conn = raw(path).await;
    let analysed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    if !analysed {
        return None;
    }
    let stats: Vec<String> = sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE tbl = ?")
        .bind(table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
    // One entry per index, each starting with the rows it covers (fewer for a partial one).
    stats
        .iter()
        .filter_map(|stat| stat.split(' ').next()?.parse().ok())
        .max()
}

/// A store that stays open keeps the planner's statistics fresh: a table that grew after it
/// opened is analysed again, so its queries are planned for its size.
#[tokio::test]
async fn statistics_follow_a_table_that_grew_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    let before = analysed_rows(&path, "users").await;
    assert!(before.unwrap_or(0) < 100, "{before:?}");
    fill_large_install(&path, 20_000, 100).await;
    store.refresh_statistics().await.unwrap();
    let after = analysed_rows(&path, "users").await;
    assert!(after.unwrap_or(0) >= 10_000, "{after:?}");
}

/// Predefined groups that exist when the access tables arrive get their built-in grants:
/// Administrators the Administrator role, Users the Read only role, each on its node; other
/// groups get none.
#[tokio::test]
async fn migrating_gives_existing_predefined_groups_their_grants() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let mut before_access = Migrator::new(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )))
    .await
    .unwrap();
    before_access.migrations.to_mut().retain(|m| m.version < 4);
    let mut conn = raw(&path).await;
    before_access.run(&mut conn).await.unwrap();

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
    let groups: Vec<Group> = [
        GroupKind::Administrators,
        GroupKind::Users,
        GroupKind::All,
        GroupKind::Custom,
    ]
    .into_iter()
    .map(|kind| Group {
        id: new_id(),
        tenant: tenant_id,
        owner: tenant_id,
        name: kind.as_str().into(),
        description: String::new(),
        level: GroupLevel::Org,
        kind,
        version: 1,
        created_at: now(),
        updated_at: now(),
    })
    .collect();
    for n in [&root, &tenant] {
        sqlx::query(
            "INSERT INTO org_nodes (id, kind, name, name_lc, parent_id, tenant_id, path, \
             version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, 0)",
        )
        .bind(n.id.as_bytes().to_vec())
        .bind(n.kind.as_str())
        .bind(&n.name)
        .bind(n.name.to_lowercase())
        .bind(n.parent.map(|p| p.as_bytes().to_vec()))
        .bind(n.tenant.as_bytes().to_vec())
        .bind(n.path.iter().map(|id| format!("{id}/")).collect::<String>())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    for g in &groups {
        sqlx::query(
            "INSERT INTO user_groups (id, tenant_id, owner_id, name, name_lc, description, \
             level, kind, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', 'org', ?, 1, 0, 0)",
        )
        .bind(g.id.as_bytes().to_vec())
        .bind(g.tenant.as_bytes().to_vec())
        .bind(g.owner.as_bytes().to_vec())
        .bind(&g.name)
        .bind(&g.name)
        .bind(g.kind.as_str())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    drop(conn);

    let started = now();
    store.migrate().await.expect("the access migration");
    let mut tx = store.read().await.unwrap();
    let mut grants = tx
        .list_grants(
            TenantScope::Tenant(tenant_id),
            &GrantQuery::default(),
            roster_core::page::PageReq {
                after: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    grants.sort_by_key(|g| g.role);
    assert_eq!(grants.len(), 2, "{grants:?}");
    for (grant, (group, role)) in grants.iter().zip([
        (&groups[0], builtin::ADMINISTRATOR_ROLE),
        (&groups[1], builtin::READ_ONLY_ROLE),
    ]) {
        assert_eq!(grant.subject, group.id);
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
}

/// Every table and index of the file, with its statement (the planner's statistics tables
/// aside).
async fn schema(conn: &mut SqliteConnection) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' \
         ORDER BY type, name",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// A bulk load drops indexes and switches reference checks off while it runs; finished or
/// abandoned, it leaves the schema exactly as it found it, and a finished one leaves fresh
/// planner statistics for what it loaded.
#[tokio::test]
async fn bulk_load_leaves_the_schema_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("roster.db");
    let store = SqliteStore::open_and_migrate(&path).await.unwrap();
    let root = root();
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root).await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = raw(&path).await;
    let before = schema(&mut conn).await;
    assert!(before.iter().any(|(_, name, _)| name == "memberships_user"));

    let mut load = store.bulk_load().await.unwrap();
    load.insert_users(&[(user(&root, "abandoned"), None)])
        .await
        .unwrap();
    drop(load);
    assert_eq!(schema(&mut conn).await, before, "after an abandoned load");

    let users: Vec<(User, Option<String>)> = (0..300)
        .map(|i| (user(&root, &format!("loaded{i}")), None))
        .collect();
    let mut load = store.bulk_load().await.unwrap();
    load.insert_users(&users).await.unwrap();
    load.finish().await.unwrap();
    assert_eq!(schema(&mut conn).await, before, "after a finished load");
    let stat: String =
        sqlx::query_scalar("SELECT stat FROM sqlite_stat1 WHERE idx = 'users_owner'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(
        stat.starts_with("300 "),
        "statistics of the loaded users: {stat}"
    );
}

/// A write batch opens its transaction in its own SQL text, out of sqlx's sight: one whose
/// caller stops waiting at any point must still finish whole, and leave the writer connection
/// out of any transaction.
#[tokio::test]
async fn write_batches_finish_when_their_caller_stops_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_and_migrate(&dir.path().join("roster.db"))
        .await
        .unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_org_node(&root()).await.unwrap();
    tx.commit().await.unwrap();
    let at = now();
    let window_start = at - chrono::TimeDelta::minutes(15);
    let batches = 40u32;
    for i in 0..batches {
        let event = AuditEvent {
            id: new_id(),
            time: at,
            tenant: SYSTEM_NODE_ID,
            actor: None,
            impersonator: None,
            action: "auth.login_failed".into(),
            target: None,
            summary: serde_json::json!({}),
            request_id: None,
            address: None,
        };
        let writes = [
            BatchWrite::CountLoginAttempt {
                key: "address:192.0.2.7",
                at,
                window_start,
            },
            BatchWrite::Audit(&event),
        ];
        // Polled once (which hands the batch to SQLite), then given up after 0 to 195 µs in
        // which SQLite's thread works on it: before, during and after its statements.
        let mut batch = Box::pin(store.write_batch(&writes));
        tokio::select! {
            biased;
            _ = &mut batch => {}
            _ = std::future::ready(()) => {}
        }
        std::thread::sleep(Duration::from_micros(5 * u64::from(i)));
        drop(batch);
        let tx = store
            .write()
            .await
            .expect("the writer is free of the batch");
        tx.commit().await.unwrap();
    }
    // A batch given up on finishes in its own time: wait (up to 10 s) for the last ones.
    let mut counted = 0;
    for _ in 0..1000 {
        let mut tx = store.read().await.unwrap();
        counted = tx
            .login_attempts("address:192.0.2.7", window_start)
            .await
            .unwrap();
        if counted == i64::from(batches) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(counted, i64::from(batches), "every batch finished");
    let mut tx = store.read().await.unwrap();
    let events = tx
        .list_audit(
            TenantScope::All,
            &AuditQuery::default(),
            PageReq {
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(events.len(), batches as usize);
}
