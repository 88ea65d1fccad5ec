//! Outgoing email settings: checking them with a test email.

use super::{audit, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::SYSTEM_NODE_ID;
use crate::validate;
use serde_json::json;

impl Service {
    /// Whether outgoing email is configured (system administrators: `settings:read` on the
    /// root).
    pub fn outgoing_mail_configured(&self, ctx: &Ctx) -> CoreResult<bool> {
        if !self.may(ctx, "settings", "read", SYSTEM_NODE_ID) {
            return Err(CoreError::forbidden(
                "only system administrators see the outgoing email settings",
            ));
        }
        Ok(self.mailer.is_some())
    }

    /// Sends a test email to `to` (system administrators only), to check the SMTP settings.
    pub async fn send_test_email(&self, ctx: &Ctx, to: &str) -> CoreResult<()> {
        if !self.may(ctx, "settings", "update", SYSTEM_NODE_ID) {
            return Err(CoreError::forbidden(
                "only system administrators test the outgoing email settings",
            ));
        }
        let to = validate::email(to)?;
        let mailer = self.mailer()?.clone();
        let result = mailer.send(super::emails::test_message(&to)).await;
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let summary = json!({"to": to, "delivered": result.is_ok()});
            audit(
                tx.as_mut(),
                ctx,
                SYSTEM_NODE_ID,
                "settings.smtp_test",
                None,
                summary,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await?;
        result.map_err(|e| CoreError::MailFailed(e.to_string()))
    }
}
