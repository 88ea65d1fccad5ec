//! What the SQLite store does beyond the shared contract: opening, migrating, the file's
//! settings, and how it copes with data it did not write.

use roster_core::model::{OrgKind, OrgNode, User, UserKind, UserStatus};
use roster_core::store::{Store, StoreError, TenantScope};
use roster_core::{new_id, now, SYSTEM_NODE_ID};
use roster_store_sqlite::SqliteStore;
use sqlx::{Connection, SqliteConnection};
use std::path::Path;

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
