//! `roster migrate-data`: an install made through the API is copied SQLite → PostgreSQL →
//! SQLite, and after each copy the real server runs on it: users log in with their old
//! passwords, the API token still works, groups, members and the audit log are there, and
//! `roster verify` passes. A target that is not empty is refused and left unchanged.
//!
//! The PostgreSQL leg needs `ROSTER_TEST_PG_URL` and is skipped without it (a failure instead
//! when `ROSTER_TEST_REQUIRE` is `all` or lists `postgres`); the SQLite → SQLite copy always
//! runs.

mod common;
use common::*;
use reqwest::StatusCode;
use roster_core::store::{RowCounts, Store};
use roster_store_postgres::PgStore;
use roster_store_sqlite::SqliteStore;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A fresh schema of the test database, dropped (without waiting) when it goes.
struct Schema {
    admin_url: String,
    name: String,
}

impl Schema {
    fn create(admin_url: &str) -> Schema {
        let name = format!("md_{}", uuid_simple());
        psql(admin_url, &format!("CREATE SCHEMA {name}"));
        Schema {
            admin_url: admin_url.to_string(),
            name,
        }
    }

    /// A URL confined to the schema.
    fn url(&self) -> String {
        let sep = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}options=-c%20search_path%3D{}",
            self.admin_url, self.name
        )
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Not waited for, as the harness does: connections may still be closing.
        let _ = Command::new("psql")
            .args([
                self.admin_url.as_str(),
                "-q",
                "-c",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

fn migrate_data(from: &str, to: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["migrate-data", "--from", from, "--to", to])
        .env_remove("ROSTER_DATABASE_URL")
        .output()
        .expect("run roster migrate-data")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a copy that must succeed, and checks what it printed.
fn copy_ok(from: &str, to: &str) {
    let out = migrate_data(from, to);
    let printed = text(&out);
    assert!(out.status.success(), "migrate-data failed:\n{printed}");
    assert!(printed.contains("the copy is consistent"), "{printed}");
    // Not a terminal: progress comes as plain lines, each kind ending complete.
    let users = printed
        .lines()
        .find(|l| l.starts_with("users: "))
        .unwrap_or_else(|| panic!("no progress line for users:\n{printed}"));
    let (done, total) = users["users: ".len()..].split_once('/').unwrap();
    assert_eq!(done, total, "{printed}");
}

/// What the install looked like through the API before it was copied.
struct Snapshot {
    api_token: String,
    users: Value,
    groups: Value,
    customers: Value,
    members: Value,
    group: String,
    audit: BTreeSet<String>,
    policy: Value,
}

const LOGINS: [&str; 3] = ["alice", "bob", "carol"];

/// Fills a fresh server through the API: a tenant with its administrator, a customer, users
/// with passwords and one without, a custom group with members (one time-bounded), an
/// administrator of the customer and an API token.
async fn populate(s: &Server) -> Snapshot {
    let sys = s.admin().await;
    let (tenant, tenant_admin) = s.tenant_with_admin(&sys, "Acme").await;
    let r = s
        .patch(
            &format!("/api/v1/tenants/{tenant}/policy"),
            &tenant_admin,
            json!({"password_min_length": 15, "password_character_classes": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = s
        .post(
            "/api/v1/customers",
            &tenant_admin,
            json!({"name": "Acme East", "parent": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let customer = r.id();
    let customer_admins = s
        .predefined_group(&tenant_admin, &customer, "administrators")
        .await;
    let alice = s.user(&tenant_admin, &tenant, "alice", &[]).await;
    let bob = s.user(&tenant_admin, &customer, "bob", &[]).await;
    s.user(&tenant_admin, &customer, "carol", &[&customer_admins])
        .await;
    let r = s
        .post(
            "/api/v1/users",
            &tenant_admin,
            json!({"login": "dave", "owner": customer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .post(
            "/api/v1/groups",
            &tenant_admin,
            json!({"name": "Operators", "description": "on call", "owner": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let group = r.id();
    for body in [
        json!({"user": alice}),
        json!({"user": bob, "valid_until": "2999-01-01T00:00:00Z"}),
    ] {
        let r = s
            .post(
                &format!("/api/v1/groups/{group}/members"),
                &tenant_admin,
                body,
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let session = s.login("alice", PASSWORD).await;
    let r = s
        .post("/api/v1/me/tokens", &session, json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let api_token = r.body["token"].as_str().unwrap().to_string();
    // Bob uses an authenticator app: the copy must keep asking him for its codes.
    let bob_session = s.login("bob", PASSWORD).await;
    let e = s
        .call(
            reqwest::Method::POST,
            "/api/v1/me/totp",
            Some(&bob_session),
            None,
        )
        .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.body);
    if let Some(code) = oathtool(e.body["secret"].as_str().unwrap()) {
        let r = s
            .post(
                "/api/v1/me/totp/confirm",
                &bob_session,
                json!({"code": code}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    snapshot(s, &sys, api_token, group).await
}

async fn snapshot(s: &Server, sys: &str, api_token: String, group: String) -> Snapshot {
    let get = |path: String| async move {
        let r = s.get(&path, sys).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        r.body
    };
    let audit = get("/api/v1/audit?limit=1000".into()).await;
    let tenants = get("/api/v1/tenants".into()).await;
    let tenant = tenants["items"][0]["id"].as_str().unwrap().to_string();
    Snapshot {
        policy: get(format!("/api/v1/tenants/{tenant}/policy")).await,
        api_token,
        users: get("/api/v1/users?limit=1000".into()).await,
        groups: get("/api/v1/groups?limit=1000".into()).await,
        customers: get("/api/v1/customers?limit=1000".into()).await,
        members: get(format!("/api/v1/groups/{group}/members")).await,
        group,
        audit: audit_ids(&audit),
    }
}

fn audit_ids(list: &Value) -> BTreeSet<String> {
    list["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// The copy answers as the original did.
async fn check(s: &Server, before: &Snapshot) {
    let sys = s.admin().await;
    for login in LOGINS {
        s.login(login, PASSWORD).await;
    }
    if oathtool("JBSWY3DPEHPK3PXP").is_some() {
        let r = s
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": "bob", "password": PASSWORD})),
            )
            .await;
        assert_eq!(
            r.body["next"], "mfa",
            "the second factor was copied: {}",
            r.body
        );
    }
    let me = s.get("/api/v1/me", &before.api_token).await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "the API token works: {}",
        me.body
    );
    assert_eq!(me.body["login"], "alice", "{}", me.body);
    let now = snapshot(s, &sys, before.api_token.clone(), before.group.clone()).await;
    assert_eq!(now.users, before.users);
    assert_eq!(now.groups, before.groups);
    assert_eq!(now.customers, before.customers);
    assert_eq!(now.members, before.members);
    assert_eq!(now.policy, before.policy);
    assert_eq!(before.policy["password_min_length"], 15);
    assert_eq!(before.members["items"].as_array().unwrap().len(), 2);
    let missing: Vec<_> = before.audit.difference(&now.audit).collect();
    assert!(missing.is_empty(), "audit events lost: {missing:?}");
    s.assert_consistent();
}

/// How many rows of each kind the database at `url` holds, read through the store contract.
async fn counts_at(url: &str) -> RowCounts {
    let store: Box<dyn Store> = match url.strip_prefix("sqlite:") {
        Some(path) => Box::new(SqliteStore::open(Path::new(path)).await.unwrap()),
        None => Box::new(PgStore::connect(url).await.unwrap()),
    };
    let mut tx = store.read().await.unwrap();
    tx.row_counts().await.unwrap()
}

/// A copy into a database that already holds an install fails, says why, and changes nothing.
async fn refused(from: &str, to: &str) {
    let before = counts_at(to).await;
    assert!(before.users > 0);
    let out = migrate_data(from, to);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("is not empty") && printed.contains("nothing was changed"),
        "{printed}"
    );
    assert_eq!(counts_at(to).await, before);
}

#[tokio::test]
async fn sqlite_copy_keeps_logins_tokens_groups_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(&dir.path().join("source.db"));
    let s = Server::start_on_url(&source);
    let before = populate(&s).await;
    drop(s);

    let copy = sqlite_url(&dir.path().join("copy").join("copy.db"));
    copy_ok(&source, &copy);
    let s = Server::start_on_url(&copy);
    check(&s, &before).await;
    drop(s);

    // Into a target that holds an install: refused, untouched.
    refused(&source, &copy).await;
    let s = Server::start_on_url(&copy);
    check(&s, &before).await;

    // A missing source and a malformed URL are named.
    let out = migrate_data(&sqlite_url(&dir.path().join("nope.db")), &copy);
    assert!(
        !out.status.success() && text(&out).contains("no database file"),
        "{}",
        text(&out)
    );
    let out = migrate_data("mysql://somewhere", &copy);
    assert!(
        !out.status.success() && text(&out).contains("--from"),
        "{}",
        text(&out)
    );
}

#[tokio::test]
async fn sqlite_to_postgres_and_back() {
    let Some(admin_url) = pg_url("PostgreSQL migration test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_url(&dir.path().join("source.db"));
    let s = Server::start_on_url(&source);
    let before = populate(&s).await;
    drop(s);

    let pg = Schema::create(&admin_url);
    copy_ok(&source, &pg.url());
    let s = Server::start_on_url(&pg.url());
    check(&s, &before).await;
    drop(s);

    let back = sqlite_url(&dir.path().join("back.db"));
    copy_ok(&pg.url(), &back);
    let s = Server::start_on_url(&back);
    check(&s, &before).await;
    drop(s);

    // Both directions refuse a target holding an install, and leave it as it was.
    refused(&back, &pg.url()).await;
    refused(&pg.url(), &back).await;
}
