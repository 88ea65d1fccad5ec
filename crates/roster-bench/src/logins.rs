//! Password logins per second against the real server at 1, 2, 16 and 64 concurrent clients,
//! measured against the machine's bound (cores ÷ one Argon2id hash, timed in the same run);
//! `/check` and user-list latency while a flood of logins runs, against idle; and the
//! server's peak memory under the flood.

use crate::report;
use crate::server::Server;
use crate::stats::{ms, summarise};
use crate::users::login;
use anyhow::{bail, Context, Result};
use roster_core::password::PasswordHasher;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const USER_PASSWORD: &str = "bench-user-password";
/// Accounts the clients log in as, in turn (a login clears its account's throttling count,
/// so right-password logins are never throttled).
const ACCOUNTS: usize = 64;
/// Requests per latency probe (idle, and under the flood).
const PROBES: usize = 1_000;
/// Hashes timed in the harness before each row, while the server idles.
const HASHES: usize = 15;
/// How long the harness hashes on every core at once after each row, while the server idles.
const CEILING: Duration = Duration::from_secs(2);

/// One row of the table: a concurrency and what it achieved.
struct Row {
    clients: usize,
    /// One Argon2id verification in the harness just before the row (median).
    hash: Duration,
    /// Verifications per second in the harness with one loop per core, no server.
    ceiling: f64,
    logins: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// Latency of the probes: `/check` and a user-list page.
struct Probe {
    check: (Duration, Duration),
    list: (Duration, Duration),
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Result<Value> {
    let res = http
        .post(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {path}: {status} {body}");
    }
    Ok(body)
}

/// Runs the benchmark: its section of `docs/benchmarks.md`.
pub async fn run(seconds: u64, clients: &[usize]) -> Result<String> {
    let dir = std::env::temp_dir().join("roster-bench-logins");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let server = Server::start(&dir, ADMIN_PASSWORD, None)?;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let admin = login(&http, &base, "admin", ADMIN_PASSWORD)
        .await?
        .context("the administrator could not log in")?;
    let tenant = post(&http, &base, &admin, "/tenants", json!({"name": "Bench"})).await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    post(
        &http,
        &base,
        &admin,
        "/resource-types",
        json!({"name": "device", "actions": ["read"]}),
    )
    .await?;
    let device = post(
        &http,
        &base,
        &admin,
        "/resources",
        json!({"type": "device", "name": "probe", "owner": tenant}),
    )
    .await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut first_user = String::new();
    for i in 0..ACCOUNTS {
        let u = post(
            &http,
            &base,
            &admin,
            "/users",
            json!({"login": format!("bench-{i}"), "password": USER_PASSWORD, "owner": tenant}),
        )
        .await?;
        if i == 0 {
            first_user = u["id"].as_str().unwrap_or_default().to_string();
        }
    }

    // One hash's CPU time: in this process at the same parameters, on one thread (so its two
    // lanes one after the other), while the server idles; timed around each row, since this
    // machine's speed drifts from minute to minute.
    let hasher = PasswordHasher::with_parallelism(1);
    let cores_hasher = PasswordHasher::default();
    let phc = hasher.hash(USER_PASSWORD).await?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let idle = probe(&http, &base, &admin, &first_user, &device).await?;
    let mut rows = Vec::new();
    let mut flooded = None;
    for &c in clients {
        let mut hashes = time_hashes(&hasher, &phc).await?;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for k in 0..c {
            let http = http.clone();
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = k;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = login(
                        &http,
                        &base,
                        &format!("bench-{}", i % ACCOUNTS),
                        USER_PASSWORD,
                    )
                    .await?
                    .is_some();
                    if !ok {
                        bail!("a right-password login was refused");
                    }
                    lat.push(t.elapsed());
                    i += c;
                }
                Ok::<_, anyhow::Error>(lat)
            }));
        }
        // The largest flood also carries the latency probes of other requests.
        let during = if Some(&c) == clients.iter().max() {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Some(probe(&http, &base, &admin, &first_user, &device).await?)
        } else {
            None
        };
        let started = deadline - Duration::from_secs(seconds);
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        hashes.extend(time_hashes(&hasher, &phc).await?);
        let ceiling = hashing_ceiling(&cores_hasher, &phc, cores).await?;
        let hash = summarise(&mut hashes).p50;
        let s = summarise(&mut lat);
        rows.push(Row {
            clients: c,
            hash,
            ceiling,
            logins: lat.len(),
            per_second: lat.len() as f64 / elapsed,
            p50: s.p50,
            p99: s.p99,
        });
        if during.is_some() {
            flooded = during;
        }
    }
    let (rss, peak) = server.memory_mib();

    let mut body = format!(
        "## Password logins (issue 4)\n\n{}. Reproduce: `cargo build --release && cargo run --release -p roster-bench -- logins`.\n\n\
         The real server on SQLite, {ACCOUNTS} accounts, right passwords only, each client logging in \
         over its own keep-alive connection as fast as answers come, {seconds} s per row. Before \
         each row the harness times one Argon2id verification at the server's parameters \
         (19 MiB, t=2, p=2) on one thread, its two lanes one after the other: the CPU time one \
         hash costs (the median of {HASHES} just before the row and {HASHES} just after, while \
         the server idles). The machine's bound is {cores} cores ÷ that. The server fills a \
         login's two lanes in parallel when a second hashing thread is free, so one client can \
         use two cores. After each row the harness also hashes for {} s with one loop per core \
         through roster's hasher, no server and no HTTP: what this machine gives hashing on all \
         its cores at once, beside the bound that assumes each core hashes as fast as one \
         alone.\n\n\
         | clients | logins | logins/s | hash on one core (ms) | bound: cores ÷ hash (/s) | of the bound | hashing alone on every core (/s) | of that | p50 (ms) | p99 (ms) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
        report::machine(),
        CEILING.as_secs(),
    );
    for r in &rows {
        let per_core = 1.0 / r.hash.as_secs_f64();
        let bound = cores as f64 * per_core;
        body.push_str(&format!(
            "| {} | {} | {:.1} | {} | {:.1} | {:.0}% | {:.1} | {:.0}% | {} | {} |\n",
            r.clients,
            r.logins,
            r.per_second,
            ms(r.hash),
            bound,
            100.0 * r.per_second / bound,
            r.ceiling,
            100.0 * r.per_second / r.ceiling,
            ms(r.p50),
            ms(r.p99)
        ));
    }
    if let Some(f) = flooded {
        body.push_str(&format!(
            "\nWhile {} clients logged in ({PROBES} requests each, one at a time from another client): \
             `POST /check` p50/p99 {} / {} ms (idle {} / {} ms), `GET /users?limit=50` {} / {} ms \
             (idle {} / {} ms).\n",
            clients.iter().max().unwrap_or(&0),
            ms(f.check.0),
            ms(f.check.1),
            ms(idle.check.0),
            ms(idle.check.1),
            ms(f.list.0),
            ms(f.list.1),
            ms(idle.list.0),
            ms(idle.list.1),
        ));
    }
    body.push_str(&format!(
        "\nServer memory after the run: RSS {rss:.0} MiB, peak {peak:.0} MiB (hashing is capped at \
         one per core, each in a reused 19 MiB work area).\n"
    ));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(body)
}

/// `HASHES` verifications in the harness, each timed alone.
async fn time_hashes(hasher: &PasswordHasher, phc: &str) -> Result<Vec<Duration>> {
    let mut hashes = Vec::new();
    for _ in 0..HASHES {
        let t = Instant::now();
        hasher.verify(USER_PASSWORD, Some(phc.to_string())).await?;
        hashes.push(t.elapsed());
    }
    Ok(hashes)
}

/// Verifications per second with `cores` loops verifying back to back through `hasher` for
/// [`CEILING`]: the machine's hashing on all its cores at once, without the server.
async fn hashing_ceiling(hasher: &PasswordHasher, phc: &str, cores: usize) -> Result<f64> {
    let started = Instant::now();
    let deadline = started + CEILING;
    let loops = (0..cores).map(|_| async {
        let mut n = 0u32;
        while Instant::now() < deadline {
            hasher.verify(USER_PASSWORD, Some(phc.to_string())).await?;
            n += 1;
        }
        Ok::<_, anyhow::Error>(n)
    });
    let mut done = 0;
    for n in futures_util::future::join_all(loops).await {
        done += n?;
    }
    Ok(f64::from(done) / started.elapsed().as_secs_f64())
}

/// `PROBES` checks and user-list pages, one at a time: (p50, p99) of each.
async fn probe(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    user: &str,
    device: &str,
) -> Result<Probe> {
    let mut check = Vec::new();
    let mut list = Vec::new();
    for _ in 0..PROBES {
        let t = Instant::now();
        post(
            http,
            base,
            token,
            "/check",
            json!({"user": user, "action": "read", "resource": device}),
        )
        .await?;
        check.push(t.elapsed());
        let t = Instant::now();
        let res = http
            .get(format!("{base}/api/v1/users?limit=50"))
            .bearer_auth(token)
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("listing users: {}", res.status());
        }
        res.bytes().await?;
        list.push(t.elapsed());
    }
    let c = summarise(&mut check);
    let l = summarise(&mut list);
    Ok(Probe {
        check: (c.p50, c.p99),
        list: (l.p50, l.p99),
    })
}
