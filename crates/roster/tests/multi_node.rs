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

/// Polls `probe` every 5 ms until it holds or 3 s pass; how long it took.
async fn within<F, Fut>(what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !probe().await {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{what}: not seen after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn access_changes_on_one_node_reach_the_other() {
    let Some(url) = pg_url("multi-node tests") else {
        return;
    };
    let cluster = Cluster::new(&url, "access");
    let a = cluster.node();
    let b = cluster.node();
    let sys = a.admin().await;
    let (tenant, admin_a) = a.tenant_with_admin(&sys, "Spread").await;
    a.resource_type(&sys, "device", &["read"]).await;
    let dev = a.resource(&admin_a, "device", "d1", &tenant).await;
    let team = a
        .create(
            &admin_a,
            "/api/v1/groups",
            json!({"name": "Team", "owner": tenant}),
        )
        .await;
    let user = a.user(&admin_a, &tenant, "yara", &[&team]).await;
    let admin_b = b.login("spread-admin", PASSWORD).await;
    assert!(!b.check(&admin_b, &user, "read", &dev).await);

    // A grant made on A is seen by checks on B.
    let grant = a
        .grant(
            &admin_a,
            json!({"subject": team, "permissions": ["device:read"], "scope": dev}),
        )
        .await;
    let seen = within("grant on B", || b.check(&admin_b, &user, "read", &dev)).await;
    // Revoking it on A is seen on B too, and so is a membership ending.
    a.delete(&format!("/api/v1/grants/{grant}"), &admin_a).await;
    let gone = within("revocation on B", || async {
        !b.check(&admin_b, &user, "read", &dev).await
    })
    .await;
    println!("propagation to the other node: grant {seen:?}, revocation {gone:?}");

    // An API token revoked on A is refused on B (which had it cached).
    let created = b
        .post("/api/v1/me/tokens", &admin_b, json!({"name": "app"}))
        .await;
    let token = created.body["token"].as_str().unwrap().to_string();
    let token_id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(b.get("/api/v1/me", &token).await.status, StatusCode::OK);
    let on_a = a.login("spread-admin", PASSWORD).await;
    let r = a
        .delete(&format!("/api/v1/me/tokens/{token_id}"), &on_a)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    within("token revocation on B", || async {
        b.get("/api/v1/me", &token).await.status == StatusCode::UNAUTHORIZED
    })
    .await;
}
