//! `roster-bench`: measures roster against the budgets in its issues and records the figures
//! in `docs/benchmarks.md`. Build the server first: `cargo build --release`, then
//! `cargo run --release -p roster-bench -- users`.

mod report;
mod server;
mod stats;
mod users;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Benchmarks for roster.
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
        } => {
            let section = users::run(&sizes, requests, keep_data).await?;
            report::write_section(&cli.out, "users", &section)?;
            println!("{section}");
        }
    }
    Ok(())
}
