//! `roster-bench`: measures roster against the budgets in its issues and records the figures
//! in `docs/benchmarks.md`. Build the server first: `cargo build --release`, then
//! `cargo run --release -p roster-bench -- users`.

mod access;
mod checks;
mod logins;
mod nodes;
mod report;
mod server;
mod stats;
mod users;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Benchmarks for roster.
#[global_allocator]
static ALLOC: access::CountingAlloc = access::CountingAlloc;

#[derive(Parser)]
struct Cli {
    /// Where results are written (between this benchmark's markers).
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: PathBuf,
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Bulk generation through the store, then user listing and login over HTTP.
    Users {
        /// Tenant sizes to measure, in users (N/100 groups, 3 memberships per user).
        #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 1_000_000])]
        sizes: Vec<u64>,
        /// Requests per measured scenario.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Keep the generated databases (their paths are printed) for further probing.
        #[arg(long)]
        keep_data: bool,
        /// Run on PostgreSQL instead of SQLite: a database URL (each size gets its own schema).
        #[arg(long)]
        pg_url: Option<String>,
        /// How the data is written: one bulk load, or transactions of rows (for comparison).
        #[arg(long, value_enum, default_value = "bulk")]
        load: users::Load,
        /// Only generate each size and print how long it took (nothing is written).
        #[arg(long)]
        generate_only: bool,
    },
    /// The access decision index: build and check at growing grant counts, then side by side
    /// with casbin and Cedar on the allow-only subset.
    Access {
        /// Grant counts to measure (users, groups, roles and resources stay fixed).
        #[arg(long, value_delimiter = ',', default_values_t = [2_000usize, 20_000, 200_000])]
        grants: Vec<usize>,
        /// Timed checks per grant count.
        #[arg(long, default_value_t = 100_000)]
        questions: usize,
        /// Questions all three engines answer at the smallest grant count (proportionally
        /// fewer at larger ones, where casbin and Cedar take up to a second each).
        #[arg(long, default_value_t = 10_000)]
        compare_questions: usize,
    },
    /// Password logins per second at growing concurrency against the machine's bound, and
    /// other requests' latency during a flood of logins.
    Logins {
        /// Seconds per concurrency.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Concurrent clients to measure.
        #[arg(long, value_delimiter = ',', default_values_t = [1usize, 2, 16, 64])]
        clients: Vec<usize>,
    },
    /// Two release servers on one PostgreSQL schema: how soon a grant made on one is allowed
    /// by the other, and the check throughput of two nodes against one (pinned to a core each).
    Nodes {
        /// The PostgreSQL database to use (the schema `bench_nodes` is made and dropped).
        #[arg(long)]
        pg_url: String,
        /// Grants in the access dataset.
        #[arg(long, default_value_t = 20_000)]
        grants: usize,
        /// Grants made on one node and timed until the other allows them.
        #[arg(long, default_value_t = 500)]
        changes: usize,
        /// Seconds per throughput row.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Keep-alive connections in all with two nodes (half of them per node, and as many
        /// for the single node).
        #[arg(long, default_value_t = 32)]
        connections: u32,
    },
    /// `POST /check` and `/check/batch` over HTTP against the real server, loaded by `wrk`.
    Checks {
        /// Grants in the dataset.
        #[arg(long, default_value_t = 200_000)]
        grants: usize,
        /// Seconds per measured row.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Keep-alive connections for single checks.
        #[arg(long, default_value_t = 32)]
        connections: u32,
        /// Run on PostgreSQL instead of SQLite: a database URL (the data goes into its own
        /// schema, dropped afterwards).
        #[arg(long)]
        pg_url: Option<String>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.bench {
        Bench::Users {
            sizes,
            requests,
            keep_data,
            pg_url,
            load,
            generate_only,
        } => {
            let name = if pg_url.is_some() {
                "users-postgres"
            } else {
                "users"
            };
            let options = users::Options {
                sizes: &sizes,
                requests,
                keep_data,
                pg_url: pg_url.as_deref(),
                load,
                generate_only,
            };
            if let Some(section) = users::run(&options).await? {
                report::write_section(&cli.out, name, &section)?;
                println!("{section}");
            }
        }
        Bench::Logins { seconds, clients } => {
            let section = logins::run(seconds, &clients).await?;
            report::write_section(&cli.out, "logins", &section)?;
            println!("{section}");
        }
        Bench::Checks {
            grants,
            seconds,
            connections,
            pg_url,
        } => {
            let name = if pg_url.is_some() {
                "checks-postgres"
            } else {
                "checks"
            };
            let section = checks::run(grants, seconds, connections, pg_url.as_deref()).await?;
            report::write_section(&cli.out, name, &section)?;
            println!("{section}");
        }
        Bench::Nodes {
            pg_url,
            grants,
            changes,
            seconds,
            connections,
        } => {
            let options = nodes::Options {
                pg_url: &pg_url,
                grants,
                changes,
                seconds,
                connections,
            };
            let section = nodes::run(&options).await?;
            report::write_section(&cli.out, "nodes", &section)?;
            println!("{section}");
        }
        Bench::Access {
            grants,
            questions,
            compare_questions,
        } => {
            let section = access::run(&grants, questions, compare_questions).await?;
            report::write_section(&cli.out, "access", &section)?;
            println!("{section}");
        }
    }
    Ok(())
}
