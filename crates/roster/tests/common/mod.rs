//! Test harness: starts the real `roster` binary on port 0 with a fresh database and talks to
//! it over HTTP like any client.
#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The system administrator's password in every test server.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
/// A password good enough for test users.
pub const PASSWORD: &str = "user-password-for-tests";

/// The database a test server runs on: `ROSTER_TEST_BACKEND=postgres` puts each server in a
/// fresh schema of the database at `ROSTER_TEST_PG_URL`; otherwise SQLite in its data dir; or
/// the database a test names ([`Server::start_on_url`]), which the test owns.
enum Backend {
    Sqlite,
    Url(String),
    Postgres {
        admin_url: String,
        schema: String,
        url: String,
    },
}

impl Backend {
    fn pick() -> Backend {
        if std::env::var("ROSTER_TEST_BACKEND").as_deref() != Ok("postgres") {
            return Backend::Sqlite;
        }
        let admin_url = std::env::var("ROSTER_TEST_PG_URL")
            .expect("ROSTER_TEST_BACKEND=postgres needs ROSTER_TEST_PG_URL (like postgres://postgres@127.0.0.1:5432/test)");
        let schema = format!("api_{}", uuid_simple());
        psql(&admin_url, &format!("CREATE SCHEMA {schema}"));
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
        Backend::Postgres {
            admin_url,
            schema,
            url,
        }
    }

    /// The `ROSTER_DATABASE_URL` the server gets, if not its data dir's SQLite file.
    fn url(&self) -> Option<&str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres { url, .. } | Backend::Url(url) => Some(url),
        }
    }
}

/// A name unlikely to be taken, for schemas and files.
pub fn uuid_simple() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// Runs one statement with `psql`; panics when it fails.
pub fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("run psql (install PostgreSQL's client)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running roster server with its own data directory.
pub struct Server {
    child: Child,
    backend: Backend,
    pub base: String,
    pub dir: tempfile::TempDir,
    /// Everything the server printed (stdout and stderr).
    pub output: Arc<Mutex<String>>,
    pub http: reqwest::Client,
}

/// A response: status, headers and JSON body (Null when empty).
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// The ETag header.
    pub fn etag(&self) -> String {
        self.headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
    /// The `id` field of the body.
    pub fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_string()
    }
}

impl Server {
    /// Starts a server with the system administrator `admin` / [`ADMIN_PASSWORD`].
    pub fn start() -> Server {
        Self::start_with(&[("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD)], &[])
    }

    /// Starts a server with the system administrator `admin` / [`ADMIN_PASSWORD`] on the
    /// database at `url` (`sqlite:PATH` or `postgres://…`), which the caller owns: it is
    /// neither emptied nor dropped.
    pub fn start_on_url(url: &str) -> Server {
        Self::start_on(
            Backend::Url(url.to_string()),
            &[("ROSTER_ADMIN_PASSWORD", ADMIN_PASSWORD)],
            &[],
        )
    }

    /// Starts a server with extra environment variables and arguments to `serve`.
    pub fn start_with(env: &[(&str, &str)], args: &[&str]) -> Server {
        Self::start_on(Backend::pick(), env, args)
    }

    fn start_on(backend: Backend, env: &[(&str, &str)], args: &[&str]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
        if let Some(url) = backend.url() {
            cmd.env("ROSTER_DATABASE_URL", url);
        }
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(args)
            .env_remove("ROSTER_ADMIN_PASSWORD")
            .env("ROSTER_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start roster");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    output.lock().unwrap().push_str(&line);
                    output.lock().unwrap().push('\n');
                    let _ = tx.send(line);
                }
            });
        }
        let addr = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!(
                        "roster did not start; it printed:\n{}",
                        output.lock().unwrap()
                    )
                });
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        let http = reqwest::Client::builder()
            .cookie_store(false)
            .build()
            .unwrap();
        Server {
            child,
            backend,
            base: format!("http://{addr}"),
            dir,
            output,
            http,
        }
    }

    /// A request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        self.call_with(method, path, token, body, &[]).await
    }

    /// As [`Server::call`], with extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Res {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Res {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Logs in and returns the session token; panics on failure.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": login, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// The system administrator's session token.
    pub async fn admin(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Creates a tenant and returns its id.
    pub async fn tenant(&self, admin: &str, name: &str) -> String {
        let r = self
            .post("/api/v1/tenants", admin, json!({"name": name}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.id()
    }

    /// The predefined group of `kind` owned by `owner`.
    pub async fn predefined_group(&self, token: &str, owner: &str, kind: &str) -> String {
        let r = self
            .get(&format!("/api/v1/groups?owner={owner}"), token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["kind"] == kind)
            .expect("predefined group")["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Creates an active user owned by `owner` (in `groups`) and returns its id.
    pub async fn user(&self, token: &str, owner: &str, login: &str, groups: &[&str]) -> String {
        let r = self
            .post(
                "/api/v1/users",
                token,
                json!({"login": login, "email": format!("{login}@example.com"), "owner": owner, "password": PASSWORD, "groups": groups}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.id()
    }

    /// Creates a tenant with an administrator and returns (tenant id, admin token).
    pub async fn tenant_with_admin(&self, admin: &str, name: &str) -> (String, String) {
        let tenant = self.tenant(admin, name).await;
        let admins = self
            .predefined_group(admin, &tenant, "administrators")
            .await;
        let login = format!("{}-admin", name.to_lowercase().replace(' ', "-"));
        self.user(admin, &tenant, &login, &[&admins]).await;
        let token = self.login(&login, PASSWORD).await;
        (tenant, token)
    }

    /// Creates an object with `POST path` and returns its id; panics unless 201.
    pub async fn create(&self, token: &str, path: &str, body: Value) -> String {
        let r = self.post(path, token, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "POST {path}: {}", r.body);
        r.id()
    }

    /// Registers a resource type (as the system administrator).
    pub async fn resource_type(&self, sys: &str, name: &str, actions: &[&str]) {
        let r = self
            .post(
                "/api/v1/resource-types",
                sys,
                json!({"name": name, "actions": actions}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    /// Creates a resource and returns its id.
    pub async fn resource(&self, token: &str, rtype: &str, name: &str, owner: &str) -> String {
        self.create(
            token,
            "/api/v1/resources",
            json!({"type": rtype, "name": name, "owner": owner}),
        )
        .await
    }

    /// Creates a grant from a JSON body and returns its id.
    pub async fn grant(&self, token: &str, body: Value) -> String {
        self.create(token, "/api/v1/grants", body).await
    }

    /// `POST /check` answered by `token`'s caller.
    pub async fn check(&self, token: &str, user: &str, action: &str, resource: &str) -> bool {
        let r = self
            .post(
                "/api/v1/check",
                token,
                json!({"user": user, "action": action, "resource": resource}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["allowed"].as_bool().expect("allowed")
    }

    /// Runs `roster verify` on this server's database; returns (success, output).
    pub fn verify(&self) -> (bool, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_roster"));
        cmd.args(["verify", "--data-dir"])
            .arg(self.dir.path().join("data"));
        if let Some(url) = self.backend.url() {
            cmd.env("ROSTER_DATABASE_URL", url);
        }
        let out = cmd.output().expect("run roster verify");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    /// This server's database, opened directly through the store contract (to damage it).
    pub async fn open_store(&self) -> std::sync::Arc<dyn roster_core::store::Store> {
        match &self.backend {
            Backend::Sqlite => std::sync::Arc::new(
                roster_store_sqlite::SqliteStore::open(
                    &self.dir.path().join("data").join("roster.db"),
                )
                .await
                .unwrap(),
            ),
            Backend::Url(url) if !url.starts_with("postgres") => std::sync::Arc::new(
                roster_store_sqlite::SqliteStore::open(std::path::Path::new(
                    url.trim_start_matches("sqlite://")
                        .trim_start_matches("sqlite:"),
                ))
                .await
                .unwrap(),
            ),
            Backend::Postgres { url, .. } | Backend::Url(url) => {
                std::sync::Arc::new(roster_store_postgres::PgStore::connect(url).await.unwrap())
            }
        }
    }

    /// Asks the server to stop as a service manager does (SIGTERM) and waits for it to exit;
    /// returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", self.child.id())])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for roster") {
                return status.success();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "roster did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Asserts that `roster verify` finds the database consistent.
    pub fn assert_consistent(&self) {
        let (ok, text) = self.verify();
        assert!(ok, "roster verify failed:\n{text}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- roster's output ---\n{}", self.output.lock().unwrap());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Backend::Postgres {
            admin_url, schema, ..
        } = &self.backend
        {
            // Not waited for: connections of this process may still hold the schema's locks
            // until the runtime (blocked while we wait here) gets to release them.
            let _ = Command::new("psql")
                .args([
                    admin_url.as_str(),
                    "-q",
                    "-c",
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
        }
    }
}

/// The PostgreSQL test database (`ROSTER_TEST_PG_URL`), or `None` to skip the calling test
/// (`what` names it in the skip note); a panic instead when `ROSTER_TEST_REQUIRE` is `all` or
/// lists `postgres`.
pub fn pg_url(what: &str) -> Option<String> {
    if let Some(url) = std::env::var("ROSTER_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    let required = std::env::var("ROSTER_TEST_REQUIRE").unwrap_or_default();
    if required
        .split(',')
        .any(|s| matches!(s.trim(), "all" | "postgres"))
    {
        panic!(
            "ROSTER_TEST_REQUIRE={required} asks for the {what}, but ROSTER_TEST_PG_URL is not set \
             (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
    }
    eprintln!("skipped: set ROSTER_TEST_PG_URL to run the {what}");
    None
}

/// The ChromeDriver binary (`ROSTER_TEST_CHROMEDRIVER`, else `/usr/bin/chromedriver`, else
/// `chromedriver` on the `PATH`), or `None` to skip the calling test (`what` names it in the
/// skip note); a panic instead when `ROSTER_TEST_REQUIRE` is `all` or lists `browser`.
pub fn chromedriver(what: &str) -> Option<std::path::PathBuf> {
    let named = std::env::var_os("ROSTER_TEST_CHROMEDRIVER").map(std::path::PathBuf::from);
    let found = named
        .into_iter()
        .chain([std::path::PathBuf::from("/usr/bin/chromedriver")])
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("chromedriver"))
                .collect::<Vec<_>>()
        }))
        .find(|p| p.is_file());
    if found.is_some() {
        return found;
    }
    let required = std::env::var("ROSTER_TEST_REQUIRE").unwrap_or_default();
    if required
        .split(',')
        .any(|s| matches!(s.trim(), "all" | "browser"))
    {
        panic!(
            "ROSTER_TEST_REQUIRE={required} asks for the {what}, but chromedriver is missing \
             (apt-get install chromium chromium-driver)"
        );
    }
    eprintln!("skipped: install chromium and chromium-driver to run the {what}");
    None
}

/// The current code for `secret` from oathtool, or `None` to skip (a panic when
/// `ROSTER_TEST_REQUIRE` is `all` or lists `totp`).
pub fn oathtool(secret: &str) -> Option<String> {
    match std::process::Command::new("oathtool")
        .args(["--totp", "-b", secret])
        .output()
    {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => {
            let required = std::env::var("ROSTER_TEST_REQUIRE").unwrap_or_default();
            if required
                .split(',')
                .any(|s| matches!(s.trim(), "all" | "totp"))
            {
                panic!("ROSTER_TEST_REQUIRE={required} asks for TOTP tests, but oathtool is missing (apt-get install oathtool)");
            }
            eprintln!("skipped: install oathtool to run the TOTP tests");
            None
        }
    }
}
