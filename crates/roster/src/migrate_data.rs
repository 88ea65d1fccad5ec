//! `roster migrate-data`: copies a whole install from one database to another (SQLite to
//! PostgreSQL or back) through the store contract, so the binary holds no SQL and each store
//! writes rows its own way.
//!
//! The source is read in one read transaction, a consistent snapshot; the target must be
//! empty and is written in batches, one write transaction each, in the order the foreign keys
//! need: org nodes (parents first), users with their password hashes, groups, memberships,
//! the access model (resource types, projects, resources, resource groups, roles, grants),
//! second factors, tokens with their hashes, audit events. At the end the target's row counts must equal the
//! source's and its consistency check must pass.

use crate::store_open::Location;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use roster_core::model::{AuditQuery, GroupQuery, OrgQuery, TotpFactor};
use roster_core::page::PageReq;
use roster_core::store::{RowCounts, Store, StoreTx, TenantScope};
use roster_core::{Id, SYSTEM_NODE_ID};
use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Rows read per page and written per write transaction.
const BATCH: u32 = 5000;

/// How often, at most, progress is printed as a plain line when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// Copies the install at `from` into the empty database at `to` (both `sqlite:PATH` or
/// `postgres://…`), then checks the copy.
pub async fn run(from: &str, to: &str) -> Result<()> {
    let source_at = Location::parse(from).context("--from")?;
    let target_at = Location::parse(to).context("--to")?;
    if let Location::Sqlite(path) = &source_at {
        if !path.is_file() {
            bail!("--from: there is no database file at {}", path.display());
        }
    }
    let (source_name, target_name) = (source_at.describe(), target_at.describe());
    let source = source_at.open().await.context("--from")?.into_store();
    let target = target_at.open().await.context("--to")?;
    // A target whose tables can be read already is checked before migrating, so that a
    // refused target is left exactly as it was; a new one has no tables until migrated.
    if let Ok(counts) = row_counts(target.store().as_ref()).await {
        refuse_unless_empty(&target_name, counts, false)?;
    }
    target
        .migrate()
        .await
        .with_context(|| format!("migrating the target, {target_name}"))?;
    let target = target.into_store();
    let mut tx = target.read().await?;
    let has_root = tx
        .get_org_node(TenantScope::All, SYSTEM_NODE_ID)
        .await?
        .is_some();
    let counts = tx.row_counts().await?;
    drop(tx);
    refuse_unless_empty(&target_name, counts, has_root)?;

    let mut src = source.read().await?;
    if src
        .get_org_node(TenantScope::All, SYSTEM_NODE_ID)
        .await?
        .is_none()
    {
        bail!("the source, {source_name}, holds no roster install (it has no system root node); nothing was copied");
    }
    let totals = src.row_counts().await?;
    eprintln!(
        "copying {} rows from {source_name} to {target_name}",
        totals.total()
    );
    let started = Instant::now();
    copy(src.as_mut(), target.as_ref(), &totals)
        .await
        .with_context(|| {
            format!(
                "the copy stopped part-way: {target_name} now holds a partial install; \
                 empty it (drop the schema or delete the file) before trying again"
            )
        })?;
    drop(src);
    let took = started.elapsed();

    let mut tx = target.read().await?;
    let copied = tx.row_counts().await?;
    if copied != totals {
        bail!(
            "the copy is incomplete: the source holds {} but {target_name} holds {}",
            describe_counts(&totals),
            describe_counts(&copied)
        );
    }
    let problems = tx.consistency_problems().await?;
    drop(tx);
    let rate = totals.total() as f64 / took.as_secs_f64().max(0.001);
    println!(
        "copied {} rows from {source_name} to {target_name} in {:.1} s ({rate:.0} rows/s):",
        totals.total(),
        took.as_secs_f64()
    );
    for (name, n) in named_counts(&totals) {
        println!("  {name:<14}{n:>10}");
    }
    if !problems.is_empty() {
        for p in &problems {
            println!("problem: {p}");
        }
        bail!(
            "the copy has {} consistency problem(s); see above",
            problems.len()
        );
    }
    println!("the copy is consistent");
    Ok(())
}

/// The target's row counts, if its tables can be read.
async fn row_counts(store: &dyn Store) -> Result<RowCounts> {
    let mut tx = store.read().await?;
    Ok(tx.row_counts().await?)
}

/// Fails with a clear message unless the target holds nothing.
fn refuse_unless_empty(target: &str, counts: RowCounts, has_root: bool) -> Result<()> {
    if has_root || counts.total() > 0 {
        bail!(
            "the target, {target}, is not empty (it holds {}): migrate-data only copies into \
             a new, empty database; nothing was changed",
            describe_counts(&counts)
        );
    }
    Ok(())
}

fn named_counts(c: &RowCounts) -> [(&'static str, u64); 6] {
    [
        ("org nodes", c.org_nodes),
        ("users", c.users),
        ("groups", c.groups),
        ("memberships", c.memberships),
        ("tokens", c.tokens),
        ("audit events", c.audit_events),
    ]
}

fn describe_counts(c: &RowCounts) -> String {
    named_counts(c)
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copies every kind of row, in foreign-key order.
async fn copy(src: &mut dyn StoreTx, target: &dyn Store, totals: &RowCounts) -> Result<()> {
    let page = |after: Option<Id>| PageReq {
        after,
        limit: BATCH,
    };

    // Org nodes: all of them first, then parents before children (by depth), whatever the
    // order of their ids.
    let mut progress = Progress::new("org nodes", totals.org_nodes);
    let mut nodes = Vec::new();
    loop {
        let after = nodes.last().map(|n: &roster_core::model::OrgNode| n.id);
        let rows = src
            .list_org_nodes(TenantScope::All, &OrgQuery::default(), page(after))
            .await?;
        let done = rows.len() < BATCH as usize;
        nodes.extend(rows);
        if done {
            break;
        }
    }
    nodes.sort_by_key(|n| n.path.len());
    for chunk in nodes.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for node in chunk {
            tx.insert_org_node(node).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    progress.finish();

    let mut progress = Progress::new("users", totals.users);
    let mut after = None;
    loop {
        let rows = src.list_users_with_hashes(page(after)).await?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.id);
        let mut tx = target.write().await?;
        tx.insert_users(&rows).await?;
        tx.commit().await?;
        progress.add(rows.len());
    }
    progress.finish();

    let mut progress = Progress::new("groups", totals.groups);
    let mut after = None;
    loop {
        let rows = src
            .list_groups(TenantScope::All, &GroupQuery::default(), page(after))
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        let mut tx = target.write().await?;
        for group in &rows {
            tx.insert_group(group).await?;
        }
        tx.commit().await?;
        progress.add(rows.len());
    }
    progress.finish();

    let mut progress = Progress::new("memberships", totals.memberships);
    let mut after = None;
    loop {
        let rows = src.list_all_memberships(after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.group, last.user));
        let mut tx = target.write().await?;
        tx.upsert_memberships(&rows).await?;
        tx.commit().await?;
        progress.add(rows.len());
    }
    progress.finish();

    copy_access(src, target).await?;
    copy_second_factors(src, target).await?;
    copy_settings(src, target).await?;

    let mut progress = Progress::new("tokens", totals.tokens);
    let mut after = None;
    loop {
        let rows = src.list_all_tokens(page(after)).await?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.id);
        let mut tx = target.write().await?;
        for (token, hash) in &rows {
            tx.insert_token(token, hash).await?;
        }
        tx.commit().await?;
        progress.add(rows.len());
    }
    progress.finish();

    // The audit log reads newest first; events have no foreign keys, so any order will do.
    let mut progress = Progress::new("audit events", totals.audit_events);
    let mut after = None;
    loop {
        let rows = src
            .list_audit(TenantScope::All, &AuditQuery::default(), page(after))
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        let mut tx = target.write().await?;
        tx.insert_audit_events(&rows).await?;
        tx.commit().await?;
        progress.add(rows.len());
    }
    progress.finish();
    Ok(())
}

/// Copies the access model: resource types, projects with their members and attached groups,
/// resources, resource groups with their members, custom roles and grants. The access change
/// log is not copied: the target's nodes build their index from a snapshot.
async fn copy_access(src: &mut dyn StoreTx, target: &dyn Store) -> Result<()> {
    let snapshot = src.access_snapshot().await?;
    let types = src.list_resource_types().await?;
    let mut members = Vec::new();
    for p in &snapshot.projects {
        let mut after = None;
        loop {
            let rows = src
                .list_project_members(
                    p.id,
                    PageReq {
                        after,
                        limit: BATCH,
                    },
                )
                .await?;
            let Some((last, _)) = rows.last() else { break };
            after = Some(*last);
            members.extend(rows.into_iter().map(|(u, at)| (p.id, u, at)));
        }
    }
    let mut progress = Progress::new(
        "access model",
        (types.len()
            + snapshot.projects.len()
            + members.len()
            + snapshot.attachments.len()
            + snapshot.resources.len()
            + snapshot.resource_groups.len()
            + snapshot.resource_group_members.len()
            + snapshot.roles.len()
            + snapshot.grants.len()) as u64,
    );
    let mut tx = target.write().await?;
    for t in &types {
        tx.upsert_resource_type(t).await?;
    }
    for p in &snapshot.projects {
        tx.insert_project(p).await?;
    }
    for (project, user, at) in &members {
        tx.add_project_member(*project, *user, *at).await?;
    }
    for (project, group) in &snapshot.attachments {
        tx.attach_group(*project, *group, roster_core::now())
            .await?;
    }
    tx.commit().await?;
    progress
        .add(types.len() + snapshot.projects.len() + members.len() + snapshot.attachments.len());
    for chunk in snapshot.resources.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for r in chunk {
            tx.insert_resource(r).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    let mut tx = target.write().await?;
    for g in &snapshot.resource_groups {
        tx.insert_resource_group(g).await?;
    }
    for r in &snapshot.roles {
        tx.insert_role(r).await?;
    }
    tx.commit().await?;
    progress.add(snapshot.resource_groups.len() + snapshot.roles.len());
    for chunk in snapshot.resource_group_members.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for (group, resource) in chunk {
            tx.add_resource_group_member(*group, *resource).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    for chunk in snapshot.grants.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for g in chunk {
            tx.insert_grant(g).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    progress.finish();
    Ok(())
}

/// Copies every TOTP authenticator with its recovery codes (their hashes), and who has
/// email codes on.
async fn copy_second_factors(src: &mut dyn StoreTx, target: &dyn Store) -> Result<()> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|(f, _): &(TotpFactor, _)| f.user);
        let rows = src.list_second_factors(after, BATCH).await?;
        let done = rows.len() < BATCH as usize;
        all.extend(rows);
        if done {
            break;
        }
    }
    let mut progress = Progress::new("2nd factors", all.len() as u64);
    for chunk in all.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for (factor, codes) in chunk {
            tx.put_totp(factor).await?;
            tx.replace_recovery_codes(factor.user, codes).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    progress.finish();

    let mut mailed = Vec::new();
    loop {
        let rows = src
            .list_email_factors(mailed.last().map(|(u, _)| *u), BATCH)
            .await?;
        let done = rows.len() < BATCH as usize;
        mailed.extend(rows);
        if done {
            break;
        }
    }
    let mut progress = Progress::new("email codes", mailed.len() as u64);
    for chunk in mailed.chunks(BATCH as usize) {
        let mut tx = target.write().await?;
        for (user, at) in chunk {
            tx.put_email_factor(*user, *at).await?;
        }
        tx.commit().await?;
        progress.add(chunk.len());
    }
    progress.finish();
    Ok(())
}

/// Copies every settings document (outgoing email, policies).
async fn copy_settings(src: &mut dyn StoreTx, target: &dyn Store) -> Result<()> {
    let all = src.list_all_settings().await?;
    let mut progress = Progress::new("settings", all.len() as u64);
    let mut tx = target.write().await?;
    for setting in &all {
        tx.put_setting(setting).await?;
    }
    tx.commit().await?;
    progress.add(all.len());
    progress.finish();
    Ok(())
}

/// Progress of one kind of row: a bar on a terminal, otherwise a plain line such as
/// `users: 50000/1000000` at most every [`PLAIN_EVERY`] and at the end.
struct Progress {
    name: &'static str,
    total: u64,
    done: u64,
    bar: Option<ProgressBar>,
    last_line: Instant,
}

impl Progress {
    fn new(name: &'static str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>13} [{bar:40.cyan/blue}] {human_pos}/{human_len} {rate} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", state.per_sec());
                })
                .progress_chars("=> "),
            );
            bar.set_prefix(name);
            bar
        });
        Progress {
            name,
            total,
            done: 0,
            bar,
            last_line: Instant::now(),
        }
    }

    fn add(&mut self, n: usize) {
        self.done += n as u64;
        match &self.bar {
            Some(bar) => bar.set_position(self.done),
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}: {}/{}", self.name, self.done, self.total);
            }
            None => {}
        }
    }

    /// Replaces the bar, if any, by the final plain line.
    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{}: {}/{}", self.name, self.done, self.total);
    }
}
