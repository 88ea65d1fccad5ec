//! `roster-bench nodes`: two release servers on one fresh PostgreSQL schema. Measures how soon
//! a grant made on node A is allowed by node B (a distribution over many grants), and the
//! `/check` throughput of two nodes against one, each node pinned to a core of its own.

use crate::access::{generate, World};
use crate::checks::{load, question_body, script, wrk};
use crate::server::Server;
use crate::stats::{ms, summarise};
use crate::users::{login, psql};
use anyhow::{bail, Context, Result};
use roster_core::password::PasswordHasher;
use roster_core::store::Store;
use roster_core::{Service, ServiceSettings};
use roster_store_postgres::PgStore;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "bench-admin-password";
/// The schema the nodes share, made afresh and dropped after the run.
const SCHEMA: &str = "bench_nodes";
/// Distinct single questions the load generator picks from.
const QUESTIONS: usize = 5_000;
/// How long node B may take to allow a grant before the sample counts as lost.
const GIVE_UP: Duration = Duration::from_secs(5);

/// What a run measures.
pub struct Options<'a> {
    /// The PostgreSQL database (a schema of it is used).
    pub pg_url: &'a str,
    /// Grants in the access dataset.
    pub grants: usize,
    /// Grants made on A and timed until B allows them.
    pub changes: usize,
    /// Seconds per throughput row.
    pub seconds: u64,
    /// Keep-alive connections in all with two nodes (half per node, and half for the single
    /// node).
    pub connections: u32,
}

/// Runs the benchmark and returns its markdown section.
pub async fn run(o: &Options<'_>) -> Result<String> {
    if Command::new("taskset").arg("-V").output().is_err() {
        bail!("taskset (util-linux) is needed to pin the nodes to cores");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        bail!("two cores are needed, one per node");
    }
    let url = o.pg_url;
    psql(url, &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))?;
    psql(url, &format!("CREATE SCHEMA {SCHEMA}"))?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{sep}options=-c%20search_path%3D{SCHEMA}");
    let result = measure(o, &schema_url).await;
    psql(url, &format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))?;
    result
}

async fn measure(o: &Options<'_>, schema_url: &str) -> Result<String> {
    eprintln!("nodes: generating the tenant and {} grants", o.grants);
    let w = generate(o.grants);
    let t = Instant::now();
    {
        let store = PgStore::connect(schema_url).await?;
        store.migrate().await?;
        let store: Arc<dyn Store> = Arc::new(store);
        let service = Service::new(
            store.clone(),
            PasswordHasher::default(),
            ServiceSettings::default(),
        );
        service.bootstrap("admin", Some(ADMIN_PASSWORD)).await?;
        eprintln!("nodes: writing it through the store");
        load(store.as_ref(), &w.snapshot(o.grants)).await?;
    }
    psql(schema_url, "ANALYZE")?;
    let written = t.elapsed();

    let dir = std::env::temp_dir().join("roster-bench-nodes");
    let _ = std::fs::remove_dir_all(&dir);
    let start = |name: &str, cpu: usize| {
        let data = dir.join(name);
        std::fs::create_dir_all(&data)?;
        Server::start_pinned(&data, ADMIN_PASSWORD, Some(schema_url), Some(cpu))
    };
    let a = start("a", 0)?;
    let b = start("b", 1)?;
    let http = reqwest::Client::new();
    let session = login(&http, &a.base, "admin", ADMIN_PASSWORD)
        .await?
        .context("the administrator could not sign in")?;
    let api: Value = http
        .post(format!("{}/api/v1/me/tokens", a.base))
        .bearer_auth(&session)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = api["token"].as_str().context("no API token")?.to_string();

    eprintln!(
        "nodes: {} grants on A, each timed until B allows it",
        o.changes
    );
    let propagation = propagate(&http, &w, &a.base, &b.base, &session, o.changes).await?;

    let questions = w.questions(&w.grants, QUESTIONS, 13);
    let bodies: Vec<String> = questions
        .iter()
        .map(|q| question_body(&w, q).to_string())
        .collect();
    let lua = dir.join("check.lua");
    std::fs::write(&lua, script("/api/v1/check", &token, &bodies))?;
    let (seconds, half) = (o.seconds, (o.connections / 2).max(1));
    let url_a = format!("{}/api/v1/check", a.base);
    // One node alone before and after the two, so that a change in the host's load between
    // the rows shows.
    drop(b);
    eprintln!("nodes: node A alone for {seconds} s");
    let one_before = wrk(Some(0), None, &url_a, &lua, half, seconds)?;
    let b = start("b2", 1)?;
    eprintln!("nodes: two nodes for {seconds} s");
    let url_b = format!("{}/api/v1/check", b.base);
    let (for_a, lua_a, lua_b) = (url_a.clone(), lua.clone(), lua.clone());
    let on_a = std::thread::spawn(move || wrk(Some(0), None, &for_a, &lua_a, half, seconds));
    let on_b = std::thread::spawn(move || wrk(Some(1), None, &url_b, &lua_b, half, seconds));
    let two_a = on_a.join().map_err(|_| anyhow::anyhow!("wrk thread"))??;
    let two_b = on_b.join().map_err(|_| anyhow::anyhow!("wrk thread"))??;
    drop(b);
    eprintln!("nodes: node A alone again for {seconds} s");
    let one_after = wrk(Some(0), None, &url_a, &lua, half, seconds)?;
    drop(a);
    let _ = std::fs::remove_dir_all(&dir);

    let two = two_a.per_second + two_b.per_second;
    let mut out = String::new();
    writeln!(out, "## Two nodes on one PostgreSQL database (issue 5)\n")?;
    writeln!(out, "Machine: {}. Reproduce: `apt-get install wrk && cargo build --release && cargo run --release -p roster-bench -- nodes --pg-url postgres://postgres@127.0.0.1:5432/test`.\n", crate::report::machine())?;
    writeln!(out, "The access benchmark's dataset at {} grants (100,000 users, 10,000 groups, 100,000 resources), written into a fresh PostgreSQL schema through the store contract in {:.1} s. Two release servers on that schema, node A pinned to core 0 and node B to core 1 (`taskset`, so each runs one runtime thread).\n", o.grants, written.as_secs_f64())?;
    writeln!(out, "**Propagation.** {} grants made one after another on A (`POST /grants`, inline `device:rpc` for an active user on a device that user could not use), each followed by `POST /check` on B, repeated without pause until it answered allowed: {}.\n", propagation.made, propagation.line)?;
    writeln!(out, "**Check throughput.** `wrk`, one thread per process, pinned to its node's core, keep-alive, {seconds} s per row, an API token of the system administrator, questions drawn from {QUESTIONS}.\n")?;
    writeln!(out, "| setup | connections | checks/s | p50 | p99 |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (when, one) in [("before", &one_before), ("after", &one_after)] {
        if when == "after" {
            writeln!(
                out,
                "| two nodes, each with its `wrk` on its core (0 and 1) | {half} + {half} | {:.0} ({:.0} + {:.0}) | {} / {} | {} / {} |",
                two, two_a.per_second, two_b.per_second, two_a.p50, two_b.p50, two_a.p99, two_b.p99
            )?;
        }
        writeln!(
            out,
            "| one node with its `wrk` on core 0, {when} the two | {half} | {:.0} | {} | {} |",
            one.per_second, one.p50, one.p99
        )?;
    }
    let one = (one_before.per_second + one_after.per_second) / 2.0;
    writeln!(
        out,
        "\nTwo nodes ÷ one (the mean of its two rows): {:.2}×. Each node shares its core with its own load generator, so a row measures what one core serves: the ratio shows whether a second node adds a core's worth of checks, not how nodes on machines of their own scale out (see the commentary).\n",
        two / one
    )?;
    Ok(out)
}

/// The propagation samples' summary.
struct Propagation {
    /// Grants made.
    made: usize,
    /// A sentence with the distribution.
    line: String,
}

/// Makes `changes` grants on A and times, for each, how long after A answered B first allows
/// it.
async fn propagate(
    http: &reqwest::Client,
    w: &World,
    a: &str,
    b: &str,
    session: &str,
    changes: usize,
) -> Result<Propagation> {
    let active: std::collections::HashSet<_> = w
        .base
        .users
        .iter()
        .filter(|u| u.active)
        .map(|u| u.id)
        .collect();
    let devices: Vec<_> = w
        .base
        .resources
        .iter()
        .filter(|r| r.rtype == "device")
        .map(|r| r.id)
        .collect();
    let check = |base: &str, user, resource| {
        let request = http
            .post(format!("{base}/api/v1/check"))
            .bearer_auth(session)
            .json(&json!({"user": user, "action": "rpc", "resource": resource}));
        async move {
            let answer: Value = request.send().await?.error_for_status()?.json().await?;
            Ok::<bool, anyhow::Error>(answer["allowed"] == true)
        }
    };
    let (mut delays, mut writes, mut lost, mut made) = (Vec::new(), Vec::new(), 0, 0);
    let mut i = 0usize;
    while made < changes {
        i += 1;
        let user = w.users[(i * 997) % w.users.len()];
        let resource = devices[(i * 7919) % devices.len()];
        if !active.contains(&user) || check(b, user, resource).await? {
            continue;
        }
        let t = Instant::now();
        let r = http
            .post(format!("{a}/api/v1/grants"))
            .bearer_auth(session)
            .json(&json!({"subject": user, "permissions": ["device:rpc"], "scope": resource}))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("grant refused: {}", r.text().await?);
        }
        let answered = Instant::now();
        writes.push(answered - t);
        made += 1;
        loop {
            if check(b, user, resource).await? {
                delays.push(answered.elapsed());
                break;
            }
            if answered.elapsed() > GIVE_UP {
                lost += 1;
                break;
            }
        }
    }
    let seen = delays.len();
    if seen == 0 || writes.is_empty() {
        bail!(
            "B allowed none of the {made} grants within {} s",
            GIVE_UP.as_secs()
        );
    }
    let max = delays.iter().max().copied().unwrap_or_default();
    let d = summarise(&mut delays);
    let wr = summarise(&mut writes);
    Ok(Propagation {
        made,
        line: format!(
            "{seen} of {made} allowed on B within {} s; from A's answer to B's first \"allowed\": p50 {} ms, p99 {} ms, max {} ms (the grant on A: p50 {} ms, p99 {} ms){}",
            GIVE_UP.as_secs(),
            ms(d.p50),
            ms(d.p99),
            ms(max),
            ms(wr.p50),
            ms(wr.p99),
            if lost > 0 { format!("; {lost} never seen") } else { String::new() }
        ),
    })
}
