//! Remote commands: talk to a running roster's REST API at `ROSTER_URL` with the API token in
//! `ROSTER_TOKEN`. Results print as tab-separated lines.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

/// `roster user …`
#[derive(Subcommand)]
pub enum UserCommand {
    /// List users (first page; `--q` searches login, email and names by prefix).
    List {
        /// Search prefix.
        #[arg(long)]
        q: Option<String>,
        /// Only users owned by this tenant or customer id.
        #[arg(long)]
        owner: Option<String>,
        /// Rows to show (at most 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Create a user; without `--password-stdin` the user is pending activation.
    Create {
        /// Login (defaults to the email).
        #[arg(long)]
        login: Option<String>,
        /// Email.
        #[arg(long)]
        email: Option<String>,
        /// Owning tenant or customer id.
        #[arg(long)]
        owner: String,
        /// Read the initial password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `roster group …`
#[derive(Subcommand)]
pub enum GroupCommand {
    /// List groups.
    List {
        /// Only groups owned by this tenant or customer id.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Create a group.
    Create {
        /// Name.
        #[arg(long)]
        name: String,
        /// Owning tenant or customer id.
        #[arg(long)]
        owner: String,
    },
    /// Add a user to a group.
    AddMember {
        /// Group id.
        group: String,
        /// User id.
        user: String,
    },
}

struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Remote {
    fn from_env() -> Result<Remote> {
        let base = std::env::var("ROSTER_URL")
            .context("set ROSTER_URL to the server's address, like http://127.0.0.1:8080")?;
        let token = std::env::var("ROSTER_TOKEN")
            .context("set ROSTER_TOKEN to an API token (POST /api/v1/me/tokens)")?;
        Ok(Remote {
            base: base.trim_end_matches('/').to_string(),
            token,
            http: reqwest::Client::new(),
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value> {
        let res = req
            .bearer_auth(&self.token)
            .send()
            .await
            .context("cannot reach roster")?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let code = body["error"]["code"].as_str().unwrap_or("error");
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("request failed");
            bail!("{status}: {code}: {message}");
        }
        Ok(body)
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        self.send(
            self.http
                .get(format!("{}/api/v1{path}", self.base))
                .query(query),
        )
        .await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.send(
            self.http
                .post(format!("{}/api/v1{path}", self.base))
                .json(&body),
        )
        .await
    }
}

fn field(v: &Value, k: &str) -> String {
    v[k].as_str().map(str::to_string).unwrap_or_default()
}

/// Runs a `roster user` command.
pub async fn user(cmd: UserCommand) -> Result<()> {
    let r = Remote::from_env()?;
    match cmd {
        UserCommand::List { q, owner, limit } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(q.map(|v| ("q", v)));
            query.extend(owner.map(|v| ("owner", v)));
            let page = r.get("/users", &query).await?;
            for u in page["items"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}\t{}",
                    field(u, "id"),
                    field(u, "login"),
                    field(u, "status"),
                    field(u, "email")
                );
            }
        }
        UserCommand::Create {
            login,
            email,
            owner,
            password_stdin,
        } => {
            let mut body = json!({"owner": owner, "login": login, "email": email});
            if password_stdin {
                let mut pw = String::new();
                std::io::stdin().read_line(&mut pw)?;
                body["password"] = json!(pw.trim_end_matches(['\n', '\r']));
            }
            let u = r.post("/users", body).await?;
            println!(
                "{}\t{}\t{}",
                field(&u, "id"),
                field(&u, "login"),
                field(&u, "status")
            );
        }
    }
    Ok(())
}

/// Runs a `roster group` command.
pub async fn group(cmd: GroupCommand) -> Result<()> {
    let r = Remote::from_env()?;
    match cmd {
        GroupCommand::List { owner } => {
            let query: Vec<(&str, String)> = owner.map(|v| ("owner", v)).into_iter().collect();
            let page = r.get("/groups", &query).await?;
            for g in page["items"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    field(g, "id"),
                    field(g, "name"),
                    field(g, "kind")
                );
            }
        }
        GroupCommand::Create { name, owner } => {
            let g = r
                .post("/groups", json!({"name": name, "owner": owner}))
                .await?;
            println!("{}\t{}", field(&g, "id"), field(&g, "name"));
        }
        GroupCommand::AddMember { group, user } => {
            r.post(&format!("/groups/{group}/members"), json!({"user": user}))
                .await?;
            println!("added");
        }
    }
    Ok(())
}
