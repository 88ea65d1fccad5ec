//! Outgoing email over SMTP with lettre: the binary's implementation of the core's `Mailer`.

use anyhow::{Context, Result};
use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use roster_core::mail::{Email, MailError, Mailer};

/// Sends email through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for `url` (`smtp://`, `smtp://…?starttls=true`, `smtps://`) sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer> {
        // DESIGN's `starttls=true` is lettre's `tls=required`.
        let url = url.replace("starttls=true", "tls=required");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .context("smtp_url (ROSTER_SMTP_URL) is not a valid SMTP URL")?
            .build();
        let from = from.parse().with_context(|| {
            format!("smtp_from (ROSTER_SMTP_FROM): '{from}' is not an email address")
        })?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: Email) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError(format!("bad recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.body)
            .map_err(|e| MailError(format!("cannot build the message: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError(e.to_string()))
    }
}
