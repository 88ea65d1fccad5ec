//! Outgoing email, as the service layer sees it: a message, the SMTP settings it goes out
//! with, and something that sends it. The binary supplies the SMTP implementation, so the
//! core stays free of protocols.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One plain-text email.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or network).
    None,
    /// Plain SMTP upgraded with STARTTLS, required (port 587).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// Where and how email goes out. The password is a secret: it is never shown, logged or
/// audited.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SmtpSettings {
    /// The mail server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The login for SMTP authentication, if the server wants one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<String>,
    /// The sender: `address` or `Name <address>`.
    pub from: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "(set)"))
            .field("from", &self.from)
            .finish()
    }
}

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// Sends email through the SMTP server the settings name.
#[async_trait]
pub trait MailTransport: Send + Sync + 'static {
    /// Hands `email` to the mail server of `smtp`; an error when it was refused or
    /// unreachable.
    async fn send(&self, smtp: &SmtpSettings, email: Email) -> Result<(), MailError>;
}
