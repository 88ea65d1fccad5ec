//! Configuration: built-in defaults, then a TOML file (`--config`), then `ROSTER_*`
//! environment variables (secrets also from `*_FILE`), then command-line flags. Validated at
//! start; every error names the key and where it came from.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The settings roster runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Directory of the embedded database.
    pub data_dir: PathBuf,
    /// A database URL; overrides `data_dir` (`sqlite:PATH`).
    pub database_url: Option<String>,
    /// The URL users reach roster at; defaults to `http://<listen>`.
    pub public_url: Option<String>,
    /// Login of the system administrator made at first start.
    pub admin_login: String,
    /// Password of that administrator; without it a set-up link is printed.
    pub admin_password: Option<String>,
    /// Whether cookies are marked `Secure` (set when a TLS proxy fronts roster).
    pub secure_cookies: bool,
    /// Minutes of inactivity that end a session.
    pub session_idle_minutes: i64,
    /// Hours after which a session ends regardless.
    pub session_lifetime_hours: i64,
    /// Minutes a "login as user" session lasts (at most a day).
    pub impersonation_minutes: i64,
    /// Log filter, like `info` or `roster=debug`.
    pub log: String,
    /// Outgoing mail server: `smtp://host:port`, `smtp://…?starttls=true` or `smtps://…`,
    /// with `user:password@` when it needs credentials.
    pub smtp_url: Option<String>,
    /// The sender of outgoing email, like `roster <roster@example.com>`.
    pub smtp_from: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./roster-data"),
            database_url: None,
            public_url: None,
            admin_login: "admin".into(),
            admin_password: None,
            secure_cookies: false,
            session_idle_minutes: 8 * 60,
            session_lifetime_hours: 7 * 24,
            impersonation_minutes: 30,
            log: "info".into(),
            smtp_url: None,
            smtp_from: None,
        }
    }
}

/// The TOML file's shape; unknown keys are refused so that typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    admin_login: Option<String>,
    admin_password: Option<String>,
    secure_cookies: Option<bool>,
    session_idle_minutes: Option<i64>,
    session_lifetime_hours: Option<i64>,
    impersonation_minutes: Option<i64>,
    log: Option<String>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
}

/// Where a value came from, for error messages.
fn from_env(var: &str) -> String {
    format!("environment variable {var}")
}

impl Config {
    /// Loads the configuration from `file` (if given) and the environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        Self::load_from(file, &|k| std::env::var(k).ok())
    }

    /// As [`Config::load`], reading variables through `env` (tests pass their own).
    pub fn load_from(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
        let mut c = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read configuration file {}", path.display()))?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!("configuration file {}: {}", path.display(), e.message())
            })?;
            let origin = format!("key in {}", path.display());
            if let Some(v) = f.listen {
                c.listen = parse_listen(&v, &format!("listen ({origin})"))?;
            }
            if let Some(v) = f.data_dir {
                c.data_dir = v;
            }
            c.database_url = f.database_url.or(c.database_url);
            c.public_url = f.public_url.or(c.public_url);
            if let Some(v) = f.admin_login {
                c.admin_login = v;
            }
            c.admin_password = f.admin_password.or(c.admin_password);
            c.secure_cookies = f.secure_cookies.unwrap_or(c.secure_cookies);
            c.session_idle_minutes = f.session_idle_minutes.unwrap_or(c.session_idle_minutes);
            c.session_lifetime_hours = f.session_lifetime_hours.unwrap_or(c.session_lifetime_hours);
            c.impersonation_minutes = f.impersonation_minutes.unwrap_or(c.impersonation_minutes);
            if let Some(v) = f.log {
                c.log = v;
            }
            c.smtp_url = f.smtp_url.or(c.smtp_url);
            c.smtp_from = f.smtp_from.or(c.smtp_from);
        }
        if let Some(v) = env("ROSTER_LISTEN") {
            c.listen = parse_listen(&v, &from_env("ROSTER_LISTEN"))?;
        }
        if let Some(v) = env("ROSTER_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = secret(env, "ROSTER_DATABASE_URL")? {
            c.database_url = Some(v);
        }
        if let Some(v) = env("ROSTER_PUBLIC_URL") {
            c.public_url = Some(v);
        }
        if let Some(v) = env("ROSTER_ADMIN_LOGIN") {
            c.admin_login = v;
        }
        if let Some(v) = secret(env, "ROSTER_ADMIN_PASSWORD")? {
            c.admin_password = Some(v);
        }
        if let Some(v) = env("ROSTER_SECURE_COOKIES") {
            c.secure_cookies = parse_bool(&v, &from_env("ROSTER_SECURE_COOKIES"))?;
        }
        if let Some(v) = env("ROSTER_SESSION_IDLE_MINUTES") {
            c.session_idle_minutes = parse_int(&v, &from_env("ROSTER_SESSION_IDLE_MINUTES"))?;
        }
        if let Some(v) = env("ROSTER_SESSION_LIFETIME_HOURS") {
            c.session_lifetime_hours = parse_int(&v, &from_env("ROSTER_SESSION_LIFETIME_HOURS"))?;
        }
        if let Some(v) = env("ROSTER_IMPERSONATION_MINUTES") {
            c.impersonation_minutes = parse_int(&v, &from_env("ROSTER_IMPERSONATION_MINUTES"))?;
        }
        if let Some(v) = env("ROSTER_LOG") {
            c.log = v;
        }
        if let Some(v) = secret(env, "ROSTER_SMTP_URL")? {
            c.smtp_url = Some(v);
        }
        if let Some(v) = env("ROSTER_SMTP_FROM") {
            c.smtp_from = Some(v);
        }
        c.validate()?;
        Ok(c)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<()> {
        if self.session_idle_minutes < 1 {
            bail!(
                "session_idle_minutes must be at least 1 (got {})",
                self.session_idle_minutes
            );
        }
        if self.session_lifetime_hours < 1 {
            bail!(
                "session_lifetime_hours must be at least 1 (got {})",
                self.session_lifetime_hours
            );
        }
        if !(1..=24 * 60).contains(&self.impersonation_minutes) {
            bail!(
                "impersonation_minutes must be between 1 and 1440 (got {})",
                self.impersonation_minutes
            );
        }
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!("public_url must start with http:// or https:// (got '{u}')");
            }
        }
        if let Some(u) = &self.database_url {
            if !(u.starts_with("sqlite:")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://"))
            {
                bail!("database_url must start with sqlite: or postgres:// (got a value of another form)");
            }
        }
        match (&self.smtp_url, &self.smtp_from) {
            (Some(u), _) if !(u.starts_with("smtp://") || u.starts_with("smtps://")) => {
                bail!("smtp_url (ROSTER_SMTP_URL) must start with smtp:// or smtps://")
            }
            (Some(_), None) => {
                bail!("smtp_url is set, so smtp_from (ROSTER_SMTP_FROM) is needed too")
            }
            (None, Some(_)) => bail!("smtp_from is set but smtp_url (ROSTER_SMTP_URL) is not"),
            (Some(u), Some(f)) => {
                crate::mail::settings_from_url(u, f)?;
            }
            (None, None) => {}
        }
        if let Err(e) = roster_core::validate::login(&self.admin_login) {
            bail!("admin_login: {e}");
        }
        if let Some(p) = &self.admin_password {
            let personal = roster_core::policy::PersonalWords {
                login: &self.admin_login,
                ..Default::default()
            };
            if let Err(e) = roster_core::policy::Policy::default().check_password(p, &personal) {
                bail!("admin_password (ROSTER_ADMIN_PASSWORD): {e}");
            }
        }
        Ok(())
    }
}

/// A secret from `VAR`, or from the file named by `VAR_FILE` (trailing newline dropped).
fn secret(env: &dyn Fn(&str) -> Option<String>, var: &str) -> Result<Option<String>> {
    if let Some(v) = env(var) {
        return Ok(Some(v));
    }
    let file_var = format!("{var}_FILE");
    match env(&file_var) {
        None => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{file_var}: cannot read file {path}"))?;
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
        }
    }
}

/// Parses `ADDR:PORT`.
pub fn parse_listen(v: &str, origin: &str) -> Result<SocketAddr> {
    v.parse()
        .map_err(|_| anyhow::anyhow!("{origin}: '{v}' is not an address like 127.0.0.1:8080"))
}

fn parse_bool(v: &str, origin: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{origin}: '{v}' is not true or false"),
    }
}

fn parse_int(v: &str, origin: &str) -> Result<i64> {
    v.parse()
        .map_err(|_| anyhow::anyhow!("{origin}: '{v}' is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(file: Option<&str>, vars: &[(&str, &str)]) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(file.map(|_| path.as_path()), &|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_file_and_environment_layer_in_order() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        let c = load(
            Some("listen = \"127.0.0.1:9000\"\nadmin_login = \"root\""),
            &[("ROSTER_LISTEN", "127.0.0.1:9001")],
        )
        .unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.admin_login, "root");
    }

    #[test]
    fn impersonation_minutes_are_bounded() {
        let c = load(None, &[("ROSTER_IMPERSONATION_MINUTES", "15")]).unwrap();
        assert_eq!(c.impersonation_minutes, 15);
        for bad in ["0", "1441"] {
            let e = load(None, &[("ROSTER_IMPERSONATION_MINUTES", bad)])
                .unwrap_err()
                .to_string();
            assert!(e.contains("impersonation_minutes"), "{e}");
        }
    }

    #[test]
    fn errors_name_the_bad_key() {
        let e = load(Some("lissten = \"x\""), &[]).unwrap_err().to_string();
        assert!(e.contains("lissten"), "{e}");
        let e = load(None, &[("ROSTER_LISTEN", "nowhere")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ROSTER_LISTEN"), "{e}");
        let e = load(None, &[("ROSTER_SECURE_COOKIES", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ROSTER_SECURE_COOKIES"), "{e}");
        let e = load(None, &[("ROSTER_ADMIN_PASSWORD", "short")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("admin_password") && !e.contains("short"), "{e}");
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "a long admin password\n").unwrap();
        let c = load(None, &[("ROSTER_ADMIN_PASSWORD_FILE", p.to_str().unwrap())]).unwrap();
        assert_eq!(c.admin_password.as_deref(), Some("a long admin password"));
    }
}
