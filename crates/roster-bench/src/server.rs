//! Starts the real `roster` binary on a prepared data directory.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running server process.
pub struct Server {
    child: Child,
    /// `http://ADDR`.
    pub base: String,
}

impl Server {
    /// Starts `roster serve` on port 0 over `data_dir`, or over `database_url` when given.
    pub fn start(
        data_dir: &Path,
        admin_password: &str,
        database_url: Option<&str>,
    ) -> Result<Server> {
        Server::start_pinned(data_dir, admin_password, database_url, None)
    }

    /// [`Server::start`], on CPU `pin` alone when given (with `taskset`, so the server sizes
    /// its runtime to that one core).
    pub fn start_pinned(
        data_dir: &Path,
        admin_password: &str,
        database_url: Option<&str>,
        pin: Option<usize>,
    ) -> Result<Server> {
        let exe = std::env::current_exe()?.with_file_name("roster");
        if !exe.exists() {
            bail!(
                "{} not found: run `cargo build --release` first",
                exe.display()
            );
        }
        let mut command = match pin {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &cpu.to_string()]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        if let Some(url) = database_url {
            command.env("ROSTER_DATABASE_URL", url);
        }
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("ROSTER_ADMIN_PASSWORD", admin_password)
            .env("ROSTER_LOG", "warn,roster=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting roster")?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().context("roster exited before listening")??;
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Ok(Server {
            child,
            base: format!("http://{addr}"),
        })
    }

    /// CPU time the server has used so far (user and system), in seconds, from `/proc`.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are the
        // 12th and 13th, in clock ticks (100 per second on Linux).
        let ticks: u64 = stat
            .rsplit_once(')')
            .map(|(_, rest)| {
                rest.split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|v| v.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
        ticks as f64 / 100.0
    }

    /// Resident and peak resident memory, in MiB, from `/proc`.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
