//! Outgoing email over SMTP with lettre: the binary's implementation of the core's
//! `MailTransport`, and the configuration's `smtp_url` read as SMTP settings.

use anyhow::{bail, Context, Result};
use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use roster_core::mail::{Email, MailError, MailTransport, SmtpSecurity, SmtpSettings};
use std::time::Duration;

/// How long one SMTP exchange may take before the send is reported as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Sends each email through the SMTP server its settings name (a connection per email:
/// roster sends few, and settings can change between two of them).
pub struct SmtpTransport;

#[async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, smtp: &SmtpSettings, email: Email) -> Result<(), MailError> {
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| MailError(format!("bad sender: {e}")))?;
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError(format!("bad recipient: {e}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body)
            .map_err(|e| MailError(format!("cannot build the message: {e}")))?;
        let mut builder = match smtp.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                    .map_err(|e| MailError(format!("TLS set-up: {e}")))?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .map_err(|e| MailError(format!("TLS set-up: {e}")))?,
        }
        .port(smtp.port)
        .timeout(Some(SMTP_TIMEOUT));
        if let Some(user) = &smtp.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                smtp.password.clone().unwrap_or_default(),
            ));
        }
        builder
            .build()
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError(e.to_string()))
    }
}

/// The SMTP settings a configured `smtp_url` (`smtp://[user:pass@]host[:port]`,
/// `smtp://…?starttls=true`, `smtps://…`) and `smtp_from` name.
pub fn settings_from_url(url: &str, from: &str) -> Result<SmtpSettings> {
    let parsed = url::Url::parse(url).context("smtp_url (ROSTER_SMTP_URL) is not a URL")?;
    let starttls = parsed
        .query_pairs()
        .any(|(k, v)| (k == "starttls" && v == "true") || (k == "tls" && v == "required"));
    let (security, default_port) = match (parsed.scheme(), starttls) {
        ("smtp", false) => (SmtpSecurity::None, 25),
        ("smtp", true) => (SmtpSecurity::Starttls, 587),
        ("smtps", _) => (SmtpSecurity::Tls, 465),
        (other, _) => bail!("smtp_url (ROSTER_SMTP_URL): scheme {other} is not smtp or smtps"),
    };
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .context("smtp_url (ROSTER_SMTP_URL) names no host")?
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|d| d.into_owned())
            .context("smtp_url (ROSTER_SMTP_URL): bad percent-encoding")
    };
    let username = match parsed.username() {
        "" => None,
        u => Some(decode(u)?),
    };
    let password = parsed.password().map(decode).transpose()?;
    from.parse::<Mailbox>().with_context(|| {
        format!("smtp_from (ROSTER_SMTP_FROM): '{from}' is not an email address")
    })?;
    Ok(SmtpSettings {
        host,
        port: parsed.port().unwrap_or(default_port),
        security,
        username,
        password,
        from: from.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_become_settings() {
        let s = settings_from_url("smtp://127.0.0.1:2525", "roster <r@example.com>").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security, s.username, s.password),
            ("127.0.0.1", 2525, SmtpSecurity::None, None, None)
        );
        let s = settings_from_url(
            "smtp://me%40example.com:p%40ss@mail.example?starttls=true",
            "r@example.com",
        )
        .unwrap();
        assert_eq!(
            (
                s.port,
                s.security,
                s.username.as_deref(),
                s.password.as_deref()
            ),
            (
                587,
                SmtpSecurity::Starttls,
                Some("me@example.com"),
                Some("p@ss")
            )
        );
        let s = settings_from_url("smtps://mail.example", "r@example.com").unwrap();
        assert_eq!((s.port, s.security), (465, SmtpSecurity::Tls));
        assert!(settings_from_url("http://mail.example", "r@example.com").is_err());
        assert!(settings_from_url("smtp://mail.example", "not an address").is_err());
    }
}
