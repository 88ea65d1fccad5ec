//! `roster`: the server and its command-line tool in one binary.

mod config;
mod mail;
mod migrate_data;
mod remote;
mod serve;
mod store_open;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// mimalloc instead of the system allocator: a request's many small, short-lived allocations
/// are cheaper with it (see docs/benchmarks.md, checks over HTTP).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// User, group and access management server.
#[derive(Parser)]
#[command(name = "roster", version, about)]
struct Cli {
    /// A TOML configuration file; `ROSTER_*` variables override it.
    #[arg(long, global = true, env = "ROSTER_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded database (ROSTER_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates the database and creates the administrator on first start).
    Serve {
        /// Address to listen on (ROSTER_LISTEN); port 0 picks a free port.
        #[arg(long)]
        listen: Option<String>,
        /// Load a sample tenant with customers, users and groups.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Check the database's consistency; exits non-zero and names each problem.
    Verify,
    /// Copy a whole install into a new, empty database (SQLite to PostgreSQL or back); stop
    /// the server first. Ends with the target's consistency check.
    MigrateData {
        /// The database to copy: sqlite:PATH or postgres://… (only read).
        #[arg(long)]
        from: String,
        /// The empty database to copy into: sqlite:PATH or postgres://… (migrated first).
        #[arg(long)]
        to: String,
    },
    /// Users, through the REST API at ROSTER_URL with ROSTER_TOKEN.
    #[command(subcommand)]
    User(remote::UserCommand),
    /// Groups, through the REST API at ROSTER_URL with ROSTER_TOKEN.
    #[command(subcommand)]
    Group(remote::GroupCommand),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut config = config::Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data_dir {
        config.data_dir = d;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { listen, demo } => {
                if let Some(l) = listen {
                    config.listen = config::parse_listen(&l, "--listen")?;
                }
                serve::run(config, demo).await
            }
            Command::Migrate => {
                let store = store_open::open(&config).await?;
                store.migrate().await?;
                println!("the database is up to date");
                Ok(())
            }
            Command::Verify => serve::verify(config).await,
            Command::MigrateData { from, to } => migrate_data::run(&from, &to).await,
            Command::User(c) => remote::user(c).await,
            Command::Group(c) => remote::group(c).await,
        }
    })
}
