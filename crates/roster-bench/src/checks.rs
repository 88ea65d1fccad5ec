//! `roster-bench checks`: `POST /check` and `/check/batch` over HTTP on the access benchmark's
//! dataset, written into a fresh SQLite database (or, with `--pg-url`, a fresh PostgreSQL
//! schema) through the store contract and served by the real release binary. The load comes from `wrk` (Debian's package) on the same machine,
//! with keep-alive connections; the harness also times how long the server takes to load the
//! index, and how long a grant takes to be seen by the next check.

use crate::access::{generate, World, TYPES};
use crate::server::Server;
use crate::stats::{ms, summarise};
use crate::users::{login, psql};
use anyhow::{bail, Context, Result};
use roster_core::model::{AccessSnapshot, ResourceType, User, UserKind, UserStatus};
use roster_core::password::PasswordHasher;
use roster_core::store::Store;
use roster_core::{now, Service, ServiceSettings, SYSTEM_NODE_ID};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

const ADMIN_PASSWORD: &str = "bench-admin-password";
/// Rows per write transaction while loading.
const CHUNK: usize = 5_000;
/// Distinct single questions the load generator picks from.
const QUESTIONS: usize = 5_000;
/// Questions per batch request.
const BATCH: usize = 1_000;
/// Connections of the paced row, each pausing [`PACE_MS`] after every answer: a load near
/// the budget's 50,000 checks/s instead of all the machine can take.
const PACED_CONNECTIONS: u32 = 128;
/// The pause of the paced row (wrk's `delay()` counts whole milliseconds).
const PACE_MS: u32 = 1;
/// Grants made one by one to time how soon the next check sees them.
const CHANGES: usize = 100;
/// The PostgreSQL schema the dataset is written into with `--pg-url` (dropped afterwards).
const PG_SCHEMA: &str = "bench_checks";

/// One `wrk` run's figures.
pub(crate) struct Load {
    pub(crate) per_second: f64,
    pub(crate) p50: String,
    pub(crate) p99: String,
    /// The server's CPU time per request, in microseconds (0 when no server was given).
    pub(crate) cpu_us: f64,
}

/// Writes the snapshot's tenant into `store` (the system root exists already).
pub(crate) async fn load(store: &dyn Store, s: &AccessSnapshot) -> Result<()> {
    let at = now();
    let mut nodes: Vec<_> = s.nodes.iter().filter(|n| n.id != SYSTEM_NODE_ID).collect();
    nodes.sort_by_key(|n| n.path.len());
    let mut tx = store.write().await?;
    for n in nodes {
        tx.insert_org_node(n).await?;
    }
    for (name, actions) in TYPES {
        tx.upsert_resource_type(&ResourceType {
            name: (*name).to_string(),
            actions: actions.iter().map(|a| (*a).to_string()).collect(),
            builtin: false,
            created_at: at,
            updated_at: at,
        })
        .await?;
    }
    for g in &s.groups {
        tx.insert_group(g).await?;
    }
    for r in &s.roles {
        tx.insert_role(r).await?;
    }
    for g in &s.resource_groups {
        tx.insert_resource_group(g).await?;
    }
    tx.commit().await?;
    for (i, chunk) in s.users.chunks(CHUNK).enumerate() {
        let rows: Vec<(User, Option<String>)> = chunk
            .iter()
            .enumerate()
            .map(|(j, u)| {
                let login = format!("u{}", i * CHUNK + j);
                let user = User {
                    id: u.id,
                    tenant: u.tenant,
                    owner: u.owner,
                    login,
                    email: None,
                    email_verified: false,
                    first_name: None,
                    last_name: None,
                    phone: None,
                    kind: UserKind::Internal,
                    status: if u.active {
                        UserStatus::Active
                    } else {
                        UserStatus::Disabled
                    },
                    must_change_password: false,
                    version: 1,
                    created_at: at,
                    updated_at: at,
                };
                (user, None)
            })
            .collect();
        let mut tx = store.write().await?;
        tx.insert_users(&rows).await?;
        tx.commit().await?;
    }
    for chunk in s.memberships.chunks(CHUNK * 4) {
        let mut tx = store.write().await?;
        tx.upsert_memberships(chunk).await?;
        tx.commit().await?;
    }
    for chunk in s.resources.chunks(CHUNK) {
        let mut tx = store.write().await?;
        for r in chunk {
            tx.insert_resource(r).await?;
        }
        tx.commit().await?;
    }
    for chunk in s.resource_group_members.chunks(CHUNK) {
        let mut tx = store.write().await?;
        for (g, r) in chunk {
            tx.add_resource_group_member(*g, *r).await?;
        }
        tx.commit().await?;
    }
    for chunk in s.grants.chunks(CHUNK) {
        let mut tx = store.write().await?;
        for g in chunk {
            tx.insert_grant(g).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Runs `wrk` with a Lua script, on CPU `pin` if given, and reads requests/s, the latency
/// percentiles and, given the `server`, its CPU time per request.
pub(crate) fn wrk(
    pin: Option<usize>,
    server: Option<&Server>,
    url: &str,
    script: &std::path::Path,
    connections: u32,
    seconds: u64,
) -> Result<Load> {
    let cpu_before = server.map(Server::cpu_seconds);
    let mut command = match pin {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string(), "wrk"]);
            c
        }
        None => Command::new("wrk"),
    };
    let out = command
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() || text.contains("Non-2xx") {
        bail!("wrk failed or got errors:\n{text}");
    }
    let field = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string)
    };
    let cpu = match (server, cpu_before) {
        (Some(server), Some(before)) => server.cpu_seconds() - before,
        _ => 0.0,
    };
    let per_second: f64 = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("wrk printed no Requests/sec")?;
    Ok(Load {
        per_second,
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        cpu_us: cpu * 1e6 / (per_second * seconds as f64).max(1.0),
    })
}

/// [`script`], each connection pausing `ms` milliseconds after every answer.
fn paced_script(path: &str, token: &str, bodies: &[String], ms: u32) -> String {
    format!(
        "{}delay = function()\n  return {ms}\nend\n",
        script(path, token, bodies)
    )
}

/// A Lua script posting a random one of `bodies` to `path` with `token`.
pub(crate) fn script(path: &str, token: &str, bodies: &[String]) -> String {
    let mut lua = String::from("local bodies = {\n");
    for b in bodies {
        lua.push_str(&format!("[==[{b}]==],\n"));
    }
    lua.push_str(&format!(
        "}}\nlocal headers = {{[\"Content-Type\"] = \"application/json\", [\"Authorization\"] = \"Bearer {token}\"}}\n\
         request = function()\n  return wrk.format(\"POST\", \"{path}\", headers, bodies[math.random(#bodies)])\nend\n"
    ));
    lua
}

pub(crate) fn question_body(w: &World, q: &crate::access::Question) -> Value {
    json!({
        "user": w.users[q.user as usize],
        "action": q.action,
        "resource": w.resources[q.resource as usize],
    })
}

/// Measures `POST /check` and `/check/batch` at `grants` grants, on SQLite, or on
/// PostgreSQL when `pg_url` is given.
pub async fn run(
    grants: usize,
    seconds: u64,
    connections: u32,
    pg_url: Option<&str>,
) -> Result<String> {
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is needed as the load generator: apt-get install wrk");
    }
    eprintln!("checks: generating the tenant and {grants} grants");
    let w = generate(grants);
    let snapshot = w.snapshot(grants);
    let dir = std::env::temp_dir().join("roster-bench-checks");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let database_url = match pg_url {
        Some(url) => {
            psql(url, &format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))?;
            psql(url, &format!("CREATE SCHEMA {PG_SCHEMA}"))?;
            let sep = if url.contains('?') { '&' } else { '?' };
            Some(format!("{url}{sep}options=-c%20search_path%3D{PG_SCHEMA}"))
        }
        None => None,
    };
    let t = Instant::now();
    {
        let store = crate::users::open_store(database_url.as_deref(), &dir).await?;
        let service = Service::new(
            store.clone(),
            PasswordHasher::default(),
            ServiceSettings::default(),
        );
        service.bootstrap("admin", Some(ADMIN_PASSWORD)).await?;
        eprintln!("checks: writing it through the store");
        load(store.as_ref(), &snapshot).await?;
    }
    let written = t.elapsed();
    // A bulk load leaves PostgreSQL's planner statistics empty until autovacuum catches up.
    if let Some(url) = &database_url {
        psql(url, "ANALYZE")?;
    }

    let t = Instant::now();
    let server = Server::start(&dir, ADMIN_PASSWORD, database_url.as_deref())?;
    let started = t.elapsed();
    let http = reqwest::Client::new();
    let base = format!("{}/api/v1", server.base);
    let session = login(&http, &server.base, "admin", ADMIN_PASSWORD)
        .await?
        .context("the administrator could not sign in")?;
    let api: Value = http
        .post(format!("{base}/me/tokens"))
        .bearer_auth(&session)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = api["token"].as_str().context("no API token")?.to_string();

    let questions = w.questions(&w.grants, QUESTIONS, 11);
    let singles: Vec<String> = questions
        .iter()
        .map(|q| question_body(&w, q).to_string())
        .collect();
    let batches: Vec<String> = questions
        .chunks(BATCH)
        .map(|c| {
            let checks: Vec<Value> = c.iter().map(|q| question_body(&w, q)).collect();
            json!({ "checks": checks }).to_string()
        })
        .collect();
    let single_lua = dir.join("check.lua");
    std::fs::write(&single_lua, script("/api/v1/check", &token, &singles))?;
    let paced_lua = dir.join("paced.lua");
    std::fs::write(
        &paced_lua,
        paced_script("/api/v1/check", &token, &singles, PACE_MS),
    )?;
    let batch_lua = dir.join("batch.lua");
    std::fs::write(&batch_lua, script("/api/v1/check/batch", &token, &batches))?;

    // `wrk` keeps to the last CPU; the server may run on every one. Left free, the load
    // generator migrates between the cores and bounces the server's threads with it.
    let wrk_cpu = std::thread::available_parallelism().map_or(0, |n| n.get() - 1);
    eprintln!("checks: POST /check for {seconds} s");
    let single = wrk(
        Some(wrk_cpu),
        Some(&server),
        &format!("{base}/check"),
        &single_lua,
        connections,
        seconds,
    )?;
    eprintln!("checks: POST /check, paced, for {seconds} s");
    let paced = wrk(
        Some(wrk_cpu),
        Some(&server),
        &format!("{base}/check"),
        &paced_lua,
        PACED_CONNECTIONS,
        seconds,
    )?;
    eprintln!("checks: POST /check/batch for {seconds} s");
    let batch = wrk(
        Some(wrk_cpu),
        Some(&server),
        &format!("{base}/check/batch"),
        &batch_lua,
        4,
        seconds,
    )?;

    // A grant, then at once a check that needs it: the write answers only after this node's
    // index applied it, so the next check must see it.
    eprintln!("checks: {CHANGES} grants, each checked at once");
    let mut writes = Vec::with_capacity(CHANGES);
    let device = w
        .base
        .resources
        .iter()
        .filter(|r| r.rtype == "device")
        .map(|r| r.id)
        .collect::<Vec<_>>();
    let inactive: std::collections::HashSet<_> = w
        .base
        .users
        .iter()
        .filter(|u| !u.active)
        .map(|u| u.id)
        .collect();
    let mut seen = 0;
    for i in 0..CHANGES {
        let user = w.users[(i * 997) % w.users.len()];
        let resource = device[(i * 7919) % device.len()];
        if inactive.contains(&user) {
            continue;
        }
        let t = Instant::now();
        let r = http
            .post(format!("{base}/grants"))
            .bearer_auth(&session)
            .json(&json!({"subject": user, "permissions": ["device:rpc"], "scope": resource}))
            .send()
            .await?;
        writes.push(t.elapsed());
        if !r.status().is_success() {
            bail!("grant refused: {}", r.text().await?);
        }
        let answer: Value = http
            .post(format!("{base}/check"))
            .bearer_auth(&session)
            .json(&json!({"user": user, "action": "rpc", "resource": resource}))
            .send()
            .await?
            .json()
            .await?;
        if answer["allowed"] == true {
            seen += 1;
        }
    }
    let measured = writes.len();
    let writes = summarise(&mut writes);
    let (rss, peak) = server.memory_mib();

    let mut out = String::new();
    let (title, flag, database) = match pg_url {
        Some(_) => (
            "Checks over HTTP on PostgreSQL (issue 5)",
            " --pg-url URL",
            "a fresh PostgreSQL schema",
        ),
        None => ("Checks over HTTP (issue 3)", "", "a fresh SQLite database"),
    };
    writeln!(out, "## {title}\n")?;
    writeln!(out, "Machine: {}. Reproduce: `apt-get install wrk && cargo build --release && cargo run --release -p roster-bench -- checks{flag}`.\n", crate::report::machine())?;
    writeln!(out, "The access benchmark's dataset at {grants} grants (100,000 users, 10,000 groups, 100,000 resources in 1,000 resource groups, 1,000 roles, 10% deny), written into {database} through the store contract in {:.1} s; the release server started on it (migrations, index loaded from the database) in {:.2} s. Load: `wrk`, one thread, keep-alive, on the same 2-core machine as the server (kept to CPU {wrk_cpu} with `taskset`; the server may run on every CPU), {seconds} s per row, an API token of the system administrator, questions drawn from {QUESTIONS} (half aimed at a grant, half random). Server CPU per request: the server process's user and system time during the row over the requests it answered (it holds up better than requests/s when other work shares the machine).\n", written.as_secs_f64(), started.as_secs_f64())?;
    writeln!(
        out,
        "| request | connections | requests/s | decisions/s | p50 | p99 | server CPU per request (µs) |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| `POST /check` | {connections} | {:.0} | {:.0} | {} | {} | {:.1} |",
        single.per_second, single.per_second, single.p50, single.p99, single.cpu_us
    )?;
    writeln!(
        out,
        "| `POST /check`, paced: each connection pauses {PACE_MS} ms after an answer | {PACED_CONNECTIONS} | {:.0} | {:.0} | {} | {} | {:.1} |",
        paced.per_second, paced.per_second, paced.p50, paced.p99, paced.cpu_us
    )?;
    writeln!(
        out,
        "| `POST /check/batch` ({BATCH} questions) | 4 | {:.0} | {:.0} | {} | {} | {:.0} |",
        batch.per_second,
        batch.per_second * BATCH as f64,
        batch.p50,
        batch.p99,
        batch.cpu_us
    )?;
    writeln!(out, "\nA change seen by the next check: {measured} grants created over HTTP, each followed at once by a check that needs it; {seen} of {measured} were allowed at the first check (the write answers after this node's index has applied it). Creating a grant (authorise, write, audit, commit, index catch-up): p50 {} ms, p99 {} ms. Server memory after the run: RSS {rss:.0} MiB, peak {peak:.0} MiB.\n", ms(writes.p50), ms(writes.p99))?;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(url) = pg_url {
        psql(url, &format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))?;
    }
    Ok(out)
}
