//! Outgoing email, as the service layer sees it: a message and something that sends it. The
//! binary supplies the SMTP implementation, so the core stays free of protocols.

use async_trait::async_trait;

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

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Hands `email` to the mail server; an error when it was refused or unreachable.
    async fn send(&self, email: Email) -> Result<(), MailError>;
}
