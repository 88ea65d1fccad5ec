//! The foundation's benchmark: generate users, groups and memberships through the store, then
//! measure listing (first page, deep page, by group, by prefix) and login over HTTP.

use crate::server::Server;
use crate::stats::{ms, summarise};
use anyhow::{Context, Result};
use roster_core::model::{Group, GroupKind, GroupLevel, Membership, User, UserKind, UserStatus};
use roster_core::page::PageReq;
use roster_core::password::PasswordHasher;
use roster_core::service::{CreateUser, GroupFilter};
use roster_core::store::{BatchWrite, Store};
use roster_core::{new_id, now, Ctx, Id, Service, ServiceSettings};
use roster_store_postgres::PgStore;
use roster_store_sqlite::SqliteStore;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const FIRST: [&str; 16] = [
    "ada",
    "alan",
    "grace",
    "edsger",
    "barbara",
    "donald",
    "margaret",
    "ken",
    "frances",
    "dennis",
    "radia",
    "tony",
    "katherine",
    "john",
    "hedy",
    "niklaus",
];
/// One generated user in this many is disabled: the rare status that a status filter seeks.
const DISABLED_EVERY: u64 = 1000;

const LAST: [&str; 16] = [
    "lovelace", "turing", "hopper", "dijkstra", "liskov", "knuth", "hamilton", "thompson", "allen",
    "ritchie", "perlman", "hoare", "johnson", "backus", "lamarr", "wirth",
];
/// Samples of each kind of login.
const LOGIN_SAMPLES: usize = 40;
/// Users per write transaction while generating.
const BATCH: u64 = 50_000;

/// What a run measures.
pub struct Options<'a> {
    /// Tenant sizes, in users.
    pub sizes: &'a [u64],
    /// Requests per measured scenario.
    pub requests: usize,
    /// Whether to keep the generated databases.
    pub keep_data: bool,
    /// PostgreSQL instead of SQLite.
    pub pg_url: Option<&'a str>,
    /// How the data is written.
    pub load: Load,
    /// Stop after generating each size (no server, no section).
    pub generate_only: bool,
}

/// Runs the benchmark for each size and returns the markdown section (none when only
/// generating).
pub async fn run(o: &Options<'_>) -> Result<Option<String>> {
    let Options {
        sizes,
        requests,
        keep_data,
        pg_url,
        load,
        generate_only,
    } = *o;
    if generate_only {
        for &n in sizes {
            let started = Instant::now();
            let dir = prepare(n, pg_url, load, false).await?.dir;
            println!(
                "{n} users, {load:?} load: generated in {:.1} s (load average {})",
                started.elapsed().as_secs_f64(),
                crate::report::load_average()
            );
            if keep_data {
                eprintln!("kept {} (or schema {})", dir.display(), schema(n));
                continue;
            }
            let _ = std::fs::remove_dir_all(&dir);
            if let Some(url) = pg_url {
                psql(url, &format!("DROP SCHEMA IF EXISTS {} CASCADE", schema(n)))?;
            }
        }
        return Ok(None);
    }
    let mut out = String::new();
    match pg_url {
        None => writeln!(out, "## Users, groups and listing (issue 2)\n")?,
        Some(_) => writeln!(
            out,
            "## Users, groups and listing on PostgreSQL (issue 5)\n"
        )?,
    }
    writeln!(out, "Machine: {}. Reproduce: `cargo build --release && cargo run --release -p roster-bench -- users`.\n", crate::report::machine())?;
    let how = match load {
        Load::Bulk => "in one bulk load (`Store::bulk_load`: rows first, indexes and foreign keys built once at the end)",
        Load::Rows => "in write transactions of 50,000 users (`StoreTx::insert_users`, `upsert_memberships`)",
    };
    writeln!(out, "Each size: N users in one tenant, N/100 groups, 3N memberships, one user in {DISABLED_EVERY} disabled (the last column lists them), generated through the store {how}, no password hashing; then the real server over loopback HTTP, one client, keep-alive, {requests} requests per row, page size 50.\n")?;
    writeln!(out, "| users | generate (s) | first page p50/p99 (ms) | 10,000 deep p50/p99 | by group p50/p99 | login prefix p50/p99 | name prefix p50/p99 | disabled p50/p99 | server RSS / peak (MiB) |")?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
    let mut login_line = String::new();
    for &n in sizes {
        let r = run_size(n, requests, keep_data, pg_url, load).await?;
        writeln!(
            out,
            "| {n} | {:.1} | {} | {} | {} | {} | {} | {} | {:.0} / {:.0} |",
            r.generate.as_secs_f64(),
            r.lists[0],
            r.lists[1],
            r.lists[2],
            r.lists[3],
            r.lists[4],
            r.lists[5],
            r.rss.0,
            r.rss.1
        )?;
        login_line = r.login;
    }
    writeln!(out, "\n{login_line}")?;
    Ok(Some(out))
}

struct SizeResult {
    generate: Duration,
    lists: Vec<String>,
    rss: (f64, f64),
    login: String,
}

/// A generated database, ready for the server.
struct Prepared {
    /// The SQLite database's folder (the server's data directory either way).
    dir: std::path::PathBuf,
    /// The PostgreSQL schema's URL, on PostgreSQL.
    database_url: Option<String>,
    /// The generated groups.
    groups: Vec<Id>,
    /// How long generating took.
    generate: Duration,
}

/// Makes a fresh database (or schema) with the tenant, its administrator and `n` generated
/// users; `quiet_after` drops the store's connections and asks the OS to write the database
/// back before returning.
async fn prepare(n: u64, pg_url: Option<&str>, load: Load, quiet_after: bool) -> Result<Prepared> {
    let dir = std::env::temp_dir().join(format!("roster-bench-users-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let database_url = match pg_url {
        Some(url) => {
            let schema = schema(n);
            psql(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
            psql(url, &format!("CREATE SCHEMA {schema}"))?;
            let sep = if url.contains('?') { '&' } else { '?' };
            Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
        }
        None => None,
    };
    let store = open_store(database_url.as_deref(), &dir).await?;
    let service = Service::new(
        store.clone(),
        PasswordHasher::default(),
        ServiceSettings::default(),
    );
    service.bootstrap("admin", Some(ADMIN_PASSWORD)).await?;
    let tenant = service.create_tenant(&Ctx::system(), "Bench").await?;
    let admins = service
        .list_groups(
            &Ctx::system(),
            &GroupFilter {
                owner: Some(tenant.id),
                ..GroupFilter::default()
            },
            PageReq {
                after: None,
                limit: 10,
            },
        )
        .await?
        .items
        .into_iter()
        .find(|g| g.kind == GroupKind::Administrators)
        .context("tenant Administrators group")?;
    let input = CreateUser {
        login: Some("bench-admin".into()),
        email: None,
        first_name: None,
        last_name: None,
        phone: None,
        owner: tenant.id,
        kind: None,
        password: Some(ADMIN_PASSWORD.into()),
        enabled: true,
        groups: vec![admins.id],
        must_change_password: false,
    };
    service.create_user(&Ctx::system(), input).await?;
    eprintln!("generating {n} users ({load:?}) …");
    let started = Instant::now();
    let groups = generate(store.as_ref(), tenant.id, n, load).await?;
    let generate = started.elapsed();
    eprintln!("generated in {:.1}s", generate.as_secs_f64());
    // The bulk loader refreshes the planner's statistics as it finishes; transactions of
    // rows leave PostgreSQL's empty until autovacuum catches up, so refresh them now, as an
    // import should (SQLite's store does so when it opens).
    if let (Some(url), Load::Rows) = (&database_url, load) {
        psql(url, "ANALYZE")?;
    }
    drop(service);
    drop(store);
    if quiet_after {
        // Let the OS write the new database back now, not while requests are being timed.
        let _ = std::process::Command::new("sync").status();
    }
    Ok(Prepared {
        dir,
        database_url,
        groups,
        generate,
    })
}

/// The PostgreSQL schema of the `n`-user database.
fn schema(n: u64) -> String {
    format!("bench_users_{n}")
}

/// The login of the `i`th sample of a kind of login.
type LoginOf<'a> = dyn Fn(usize) -> String + 'a;

async fn run_size(
    n: u64,
    requests: usize,
    keep_data: bool,
    pg_url: Option<&str>,
    load: Load,
) -> Result<SizeResult> {
    let Prepared {
        dir,
        database_url,
        groups,
        generate,
    } = prepare(n, pg_url, load, true).await?;
    let server = Server::start(&dir, ADMIN_PASSWORD, database_url.as_deref())?;
    let http = reqwest::Client::new();
    let token = login(&http, &server.base, "bench-admin", ADMIN_PASSWORD)
        .await?
        .context("tenant administrator login")?;
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.base);
        let token = token.clone();
        async move {
            let t = Instant::now();
            let res = http.get(url).bearer_auth(token).send().await?;
            anyhow::ensure!(res.status().is_success(), "{}", res.status());
            let body: Value = res.json().await?;
            Ok::<_, anyhow::Error>((t.elapsed(), body))
        }
    };
    // Warm up, and find the cursor 10,000 rows deep.
    let mut cursor = String::new();
    for _ in 0..(10_000 / 1000).min(n / 1000) {
        let (_, body) = get(format!("/api/v1/users?limit=1000&cursor={cursor}")).await?;
        cursor = body["next_cursor"].as_str().unwrap_or_default().to_string();
    }
    let mut lists = Vec::new();
    let scenarios: [Box<dyn Fn(usize) -> String>; 6] = [
        Box::new(|_| "/api/v1/users?limit=50".to_string()),
        Box::new(|_| format!("/api/v1/users?limit=50&cursor={cursor}")),
        Box::new(|i| {
            format!(
                "/api/v1/users?limit=50&group={}",
                groups[i * 7919 % groups.len()]
            )
        }),
        Box::new(move |i| {
            format!(
                "/api/v1/users?limit=50&q=user{:05}",
                (i as u64 * 7919) % (n / 100).max(1)
            )
        }),
        Box::new(|i| format!("/api/v1/users?limit=50&q={}", &LAST[i % LAST.len()][..4])),
        Box::new(|_| "/api/v1/users?limit=50&status=disabled".to_string()),
    ];
    for scenario in &scenarios {
        let mut samples = Vec::with_capacity(requests);
        for i in 0..requests {
            samples.push(get(scenario(i)).await?.0);
        }
        let s = summarise(&mut samples);
        lists.push(format!("{} / {}", ms(s.p50), ms(s.p99)));
    }

    // Login cost beyond the hash: each login's time at the client less the time the server's
    // hashing thread spent on its hash, read from `/metrics` before and after it. A machine
    // whose speed drifts (or a host that takes its CPUs away now and then) moves both alike.
    // Warm up with right passwords: failures would count against the address's limit.
    for _ in 0..LOGIN_SAMPLES / 4 {
        login(&http, &server.base, "admin", ADMIN_PASSWORD).await?;
    }
    // Each failure names another account: from an account's third failure on, roster waits
    // before it answers (by design), and that wait is not the cost of a login. After 50
    // failures from one address every attempt is throttled, which costs the same hash.
    let mut login_parts = Vec::new();
    let kinds: [(&str, &LoginOf<'_>, &str, bool); 3] = [
        (
            "right password",
            &|_| "admin".to_string(),
            ADMIN_PASSWORD,
            true,
        ),
        (
            "wrong password",
            &|i| format!("user{:07}", (i as u64 * 7919) % n),
            "wrong-password-xyz",
            false,
        ),
        (
            "unknown login",
            &|i| format!("nobody{i}"),
            "wrong-password-xyz",
            false,
        ),
    ];
    for (kind, user, password, ok) in kinds {
        let mut logins = Vec::new();
        let mut hashes = Vec::new();
        let mut beyond = Vec::new();
        for i in 0..LOGIN_SAMPLES {
            let before = hash_seconds(&http, &server.base).await?;
            let t = Instant::now();
            let got = login(&http, &server.base, &user(i), password).await?;
            let took = t.elapsed();
            let hash = Duration::from_secs_f64(hash_seconds(&http, &server.base).await? - before);
            anyhow::ensure!(got.is_some() == ok, "{kind}: unexpected answer");
            beyond.push(took.saturating_sub(hash));
            logins.push(took);
            hashes.push(hash);
        }
        let beyond = summarise(&mut beyond);
        // The machine's own floor: a request that does nothing (`/healthz`), sent after the
        // server has idled as long as a hash keeps a login's request threads waiting.
        let pause = summarise(&mut hashes).p50;
        let mut bare = Vec::new();
        for _ in 0..LOGIN_SAMPLES {
            tokio::time::sleep(pause).await;
            let t = Instant::now();
            http.get(format!("{}/healthz", server.base))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            bare.push(t.elapsed());
        }
        login_parts.push(format!(
            "{kind} p50 {} ms, its hash {} ms, beyond the hash p50 {} ms, p99 {} ms (a bare request after as long a pause: p50 {} ms)",
            ms(summarise(&mut logins).p50),
            ms(pause),
            ms(beyond.p50),
            ms(beyond.p99),
            ms(summarise(&mut bare).p50),
        ));
    }
    let login = format!(
        "Login at {n} users, {LOGIN_SAMPLES} each over HTTP after {} right-password warm-up logins, each failure on another account (from an account's third failure roster waits before answering, by design); beyond the hash is each login's time at the client less its hash's time on the server's hashing thread (`roster_password_hash_seconds` in `/metrics`). What a request costs on this machine when nothing else runs is given beside it: `GET /healthz` after a pause as long as the hash: {}.",
        LOGIN_SAMPLES / 4,
        login_parts.join("; ")
    );
    let rss = server.memory_mib();
    drop(server);
    if keep_data {
        // The failed logins above count against this address; a server started on the kept
        // data would refuse its logins for the rest of the throttling window.
        let store = open_store(database_url.as_deref(), &dir).await?;
        store
            .write_batch(&[BatchWrite::ClearLoginAttempts("address:127.0.0.1")])
            .await?;
        eprintln!("kept {} (or schema {})", dir.display(), schema(n));
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(url) = pg_url {
            psql(url, &format!("DROP SCHEMA IF EXISTS {} CASCADE", schema(n)))?;
        }
    }
    Ok(SizeResult {
        generate,
        lists,
        rss,
        login,
    })
}

/// Signs in over HTTP: the session token, or `None` when the login is refused.
pub(crate) async fn login(
    http: &reqwest::Client,
    base: &str,
    login: &str,
    password: &str,
) -> Result<Option<String>> {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?;
    if !res.status().is_success() {
        return Ok(None);
    }
    let body: Value = res.json().await?;
    Ok(body["token"].as_str().map(str::to_string))
}

/// The server's `roster_password_hash_seconds_sum`: its hashing threads' time so far.
async fn hash_seconds(http: &reqwest::Client, base: &str) -> Result<f64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("roster_password_hash_seconds_sum "))
        .context("roster_password_hash_seconds_sum in /metrics")?;
    Ok(line.trim().parse()?)
}

/// How the generator writes its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Load {
    /// One [`roster_core::store::BulkLoad`]: rows first, indexes and references once at the end.
    Bulk,
    /// Write transactions of [`BATCH`] users each, through `StoreTx::insert_users` and
    /// `upsert_memberships`, as before the bulk loader.
    Rows,
}

/// A benchmark's store, migrated: PostgreSQL at `database_url`, or SQLite in `dir`.
pub(crate) async fn open_store(
    database_url: Option<&str>,
    dir: &std::path::Path,
) -> Result<Arc<dyn Store>> {
    Ok(match database_url {
        Some(url) => {
            let s = PgStore::connect(url).await?;
            s.migrate().await?;
            Arc::new(s)
        }
        None => {
            let s = SqliteStore::open(&dir.join("roster.db")).await?;
            s.migrate().await?;
            Arc::new(s)
        }
    })
}

/// Writes `n` users, `n / 100` groups and `3n` memberships, and returns the groups' ids.
async fn generate(store: &dyn Store, tenant: Id, n: u64, load: Load) -> Result<Vec<Id>> {
    let at = now();
    let group_count = (n / 100).max(3);
    let groups: Vec<Group> = (0..group_count)
        .map(|g| Group {
            id: new_id(),
            tenant,
            owner: tenant,
            name: format!("group {g:06}"),
            description: String::new(),
            level: GroupLevel::Org,
            kind: GroupKind::Custom,
            version: 1,
            created_at: at,
            updated_at: at,
        })
        .collect();
    let ids: Vec<Id> = groups.iter().map(|g| g.id).collect();
    let batches = (0..n)
        .step_by(BATCH as usize)
        .map(|i| batch(tenant, &ids, i..(i + BATCH).min(n), at));
    match load {
        Load::Bulk => {
            let mut bulk = store.bulk_load().await?;
            bulk.insert_groups(&groups).await?;
            for (users, memberships) in batches {
                bulk.insert_users(&users).await?;
                bulk.upsert_memberships(&memberships).await?;
            }
            bulk.finish().await?;
        }
        Load::Rows => {
            let mut tx = store.write().await?;
            for group in &groups {
                tx.insert_group(group).await?;
            }
            tx.commit().await?;
            for (users, memberships) in batches {
                let mut tx = store.write().await?;
                tx.insert_users(&users).await?;
                tx.upsert_memberships(&memberships).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(ids)
}

/// Users `range` of the tenant, each in three groups (two of the three may coincide, and then
/// the membership is given twice).
fn batch(
    tenant: Id,
    groups: &[Id],
    range: std::ops::Range<u64>,
    at: roster_core::Timestamp,
) -> (Vec<(User, Option<String>)>, Vec<Membership>) {
    let group_count = groups.len() as u64;
    let mut users = Vec::with_capacity(BATCH as usize);
    let mut memberships = Vec::with_capacity(3 * BATCH as usize);
    for j in range {
        let login = format!("user{j:07}");
        let user = User {
            id: new_id(),
            tenant,
            owner: tenant,
            email: Some(format!("{login}@bench.example")),
            login,
            email_verified: false,
            first_name: Some(FIRST[(j % 16) as usize].to_string()),
            last_name: Some(LAST[(j / 16 % 16) as usize].to_string()),
            phone: None,
            kind: UserKind::Internal,
            status: if j % DISABLED_EVERY == DISABLED_EVERY - 1 {
                UserStatus::Disabled
            } else {
                UserStatus::Active
            },
            must_change_password: false,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        for k in [7u64, 13, 31] {
            memberships.push(Membership {
                group: groups[((j * k + k) % group_count) as usize],
                user: user.id,
                tenant,
                valid_from: None,
                valid_until: None,
                created_at: at,
            });
        }
        users.push((user, None));
    }
    (users, memberships)
}

/// Runs one statement with `psql`.
pub(crate) fn psql(url: &str, sql: &str) -> Result<()> {
    let out = std::process::Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
