//! Several roster nodes on one PostgreSQL database share nothing but it: a session, token or
//! account change made through one node holds at once on the other; nodes started together
//! bootstrap one administrator; killed database connections give 503s, never wrong answers,
//! and the nodes recover by themselves.

mod common;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

fn run_psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A fresh schema for a cluster of nodes, dropped (without waiting) at the end.
struct Cluster {
    admin_url: String,
    schema: String,
}

impl Cluster {
    fn new(admin_url: &str, tag: &str) -> Cluster {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = format!("nodes_{tag}_{nanos:x}");
        run_psql(admin_url, &format!("CREATE SCHEMA {schema}"));
        Cluster {
            admin_url: admin_url.to_string(),
            schema,
        }
    }

    /// The URL nodes use: the schema, and an application name to find their connections by.
    fn url(&self) -> String {
        let sep = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{sep}options=-c%20search_path%3D{}&application_name={}",
            self.admin_url, self.schema, self.schema
        )
    }

    fn node(&self) -> Server {
        Server::start_with(
            &[
                ("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD),
                ("ROSTER_DATABASE_URL", &self.url()),
            ],
            &[],
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin_url.as_str(),
                "-q",
                "-c",
                &format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
}

#[tokio::test]
async fn sessions_tokens_and_accounts_hold_across_nodes() {
    let Some(url) = pg_url("multi-node tests") else {
        return;
    };
    let cluster = Cluster::new(&url, "share");
    // Started together: both bootstrap, one administrator results.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| cluster.node());
        let b = s.spawn(|| cluster.node());
        (a.join().unwrap(), b.join().unwrap())
    });
    let admins = run_psql(
        &url,
        &format!(
            "SELECT count(*) FROM {}.users WHERE login_lc = 'admin'",
            cluster.schema
        ),
    );
    assert_eq!(admins, "1");

    let sys = a.admin().await;
    let (tenant, tadmin_on_a) = a.tenant_with_admin(&sys, "Shared").await;
    let xavier = a.user(&tadmin_on_a, &tenant, "xavier", &[]).await;

    // A session opened on B works on A; logging out on A ends it on B at once.
    let session = b.login("xavier", PASSWORD).await;
    assert_eq!(
        a.get("/api/v1/me", &session).await.body["id"],
        json!(xavier)
    );
    let r = a
        .call(Method::POST, "/api/v1/auth/logout", Some(&session), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        b.get("/api/v1/me", &session).await.status,
        StatusCode::UNAUTHORIZED
    );

    // An API token made on A works on B; revoked on B, it fails on A.
    let r = a
        .post("/api/v1/me/tokens", &sys, json!({"name": "cross-node"}))
        .await;
    let (token, token_id) = (r.body["token"].as_str().unwrap().to_string(), r.id());
    assert_eq!(b.get("/api/v1/me", &token).await.status, StatusCode::OK);
    assert_eq!(
        b.delete(&format!("/api/v1/me/tokens/{token_id}"), &sys)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        a.get("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A user disabled on A can no longer log in on B, and their B session ends.
    let session = b.login("xavier", PASSWORD).await;
    let tadmin_on_b = b.login("shared-admin", PASSWORD).await;
    let r = a
        .patch(
            &format!("/api/v1/users/{xavier}"),
            &tadmin_on_a,
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(r.body["status"], "disabled");
    assert_eq!(
        b.get("/api/v1/me", &session).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = b
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "xavier", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A change on B is read on A at once.
    b.patch(
        &format!("/api/v1/users/{xavier}"),
        &tadmin_on_b,
        json!({"first_name": "Xavi"}),
    )
    .await;
    assert_eq!(
        a.get(&format!("/api/v1/users/{xavier}"), &tadmin_on_a)
            .await
            .body["first_name"],
        "Xavi"
    );
    drop((a, b));
}

#[tokio::test]
async fn killed_database_connections_give_503_then_recover() {
    let Some(url) = pg_url("multi-node tests") else {
        return;
    };
    let cluster = Cluster::new(&url, "outage");
    let node = cluster.node();
    let sys = node.admin().await;
    let (tenant, tadmin) = node.tenant_with_admin(&sys, "Outage").await;
    node.user(&tadmin, &tenant, "steady", &[]).await;
    let expected = node.get("/api/v1/users?q=steady", &tadmin).await.body["items"].clone();

    // Kill the node's database connections again and again while a client keeps asking.
    let kill = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{}'",
        cluster.schema
    );
    let mut statuses = std::collections::BTreeMap::new();
    let started = Instant::now();
    let mut kills = 0;
    while started.elapsed() < Duration::from_secs(3) && kills < 30 {
        run_psql(&url, &kill);
        kills += 1;
        for _ in 0..5 {
            let r = node.get("/api/v1/users?q=steady", &tadmin).await;
            *statuses.entry(r.status.as_u16()).or_insert(0) += 1;
            match r.status {
                StatusCode::OK => assert_eq!(
                    r.body["items"], expected,
                    "a wrong answer during the outage"
                ),
                StatusCode::SERVICE_UNAVAILABLE => assert_eq!(r.code(), "unavailable"),
                other => panic!("unexpected {other} during the outage: {}", r.body),
            }
        }
    }
    eprintln!("answers while connections were being killed: {statuses:?} after {kills} kills");
    // Recovered by itself: reads and writes work without a restart.
    let r = node.get("/api/v1/users?q=steady", &tadmin).await;
    assert_eq!(r.body["items"], expected);
    let r = node
        .post(
            "/api/v1/groups",
            &tadmin,
            json!({"name": "After the outage", "owner": tenant}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        node.http
            .get(format!("{}/readyz", node.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
