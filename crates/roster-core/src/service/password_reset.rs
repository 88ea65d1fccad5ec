//! "Forgot password": a one-time link by email, then a new password typed twice. The
//! request never tells whether the login exists.

use super::auth::LoginOutcome;
use super::password_links::claim_link;
use super::{audit, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now};
use crate::mail::{Email, MailTransport, SmtpSettings};
use crate::model::{AccessChange, AccessKind, TokenKind, TokenRecord, UserKind, UserStatus};
use crate::store::TenantScope;
use crate::{secret, validate};
use serde_json::json;
use std::sync::Arc;

/// Reset links one account may be sent within the throttling window; more requests are
/// answered the same way and send nothing.
const RESETS_PER_WINDOW: i64 = 3;

impl Service {
    /// Asks for a password reset link for `login`. The answer is the same whether or not the
    /// login exists, is active, internal or has an email address; when it does and may, a link
    /// is emailed after the answer (so timing tells nothing either). Refused only when
    /// outgoing email is not configured, which is true for every login alike.
    pub async fn request_password_reset(&self, ctx: &Ctx, login: &str) -> CoreResult<()> {
        let (transport, smtp) = self.mail_route().await?;
        let login = login.trim();
        if login.is_empty() || login.len() > validate::MAX_LOGIN * 4 {
            return Ok(());
        }
        let mail = self
            .retrying(|| self.request_password_reset_once(ctx, login))
            .await?;
        if let Some(email) = mail {
            tokio::spawn(send_in_background(transport, smtp, email));
        }
        Ok(())
    }

    /// One attempt of [`Service::request_password_reset`]: the email to send, if any.
    async fn request_password_reset_once(
        &self,
        ctx: &Ctx,
        login: &str,
    ) -> CoreResult<Option<Email>> {
        let at = now();
        let window_start = super::auth::throttle_window_start(at);
        let mut tx = self.write().await?;
        let requests = tx
            .count_login_attempt(&format!("reset:{}", login.to_lowercase()), at, window_start)
            .await?;
        let user = tx.get_user_by_login(login).await?;
        let Some(user) = user else {
            tx.commit().await?;
            return Ok(None);
        };
        let reason = match (&user.email, user.status, user.kind) {
            _ if requests > RESETS_PER_WINDOW => Some("throttled"),
            (None, _, _) => Some("no email"),
            (_, UserStatus::Active, UserKind::Internal) => None,
            (_, UserStatus::Active, UserKind::External) => Some("external user"),
            _ => Some("not active"),
        };
        let mut as_user = ctx.clone();
        as_user.actor.user = Some(user.id);
        if let Some(reason) = reason {
            audit(
                tx.as_mut(),
                &as_user,
                user.tenant,
                "user.password_reset_refused",
                Some(user.id),
                json!({"reason": reason}),
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        }
        tx.delete_user_tokens(user.id, &[TokenKind::PasswordReset])
            .await?;
        let token = secret::generate();
        let record = TokenRecord {
            id: new_id(),
            user: user.id,
            tenant: user.tenant,
            kind: TokenKind::PasswordReset,
            name: None,
            created_at: at,
            expires_at: at + self.settings.activation_ttl,
            last_used_at: at,
            impersonator: None,
        };
        tx.insert_token(&record, &secret::hash(&token)).await?;
        let to = user.email.clone().unwrap_or_default();
        audit(
            tx.as_mut(),
            &as_user,
            user.tenant,
            "user.password_reset_sent",
            Some(user.id),
            json!({"to": to}),
        )
        .await?;
        tx.commit().await?;
        let url = format!("{}/reset-password?token={token}", self.settings.public_url);
        Ok(Some(super::emails::password_reset(
            &user,
            &to,
            &url,
            record.expires_at,
        )))
    }

    /// Redeems a password reset link with a new password (the tenant's policy applies). Every
    /// session of the user ends, a lock from failed logins is lifted, and the login goes on
    /// as after a right password: the second factor is still asked for. A link works once.
    pub async fn reset_password(
        &self,
        ctx: &Ctx,
        token: &str,
        password: &str,
    ) -> CoreResult<LoginOutcome> {
        let invalid = || {
            CoreError::invalid(
                "invalid_token",
                "token",
                "the reset link is invalid, used or expired",
            )
        };
        let holder = self
            .link_holder(token, TokenKind::PasswordReset, password, invalid)
            .await?;
        self.retrying(|| async {
            let mut tx = self.write().await?;
            claim_link(
                tx.as_mut(),
                &holder.hash,
                TokenKind::PasswordReset,
                holder.user.id,
                invalid,
            )
            .await?;
            let mut u = tx
                .get_user(TenantScope::All, holder.user.id)
                .await?
                .filter(|u| u.status == UserStatus::Active && u.kind == UserKind::Internal)
                .ok_or_else(invalid)?;
            tx.set_password_hash(u.id, Some(&holder.phc)).await?;
            u.must_change_password = false;
            u.version += 1;
            u.updated_at = now();
            tx.update_user(&u).await?;
            tx.delete_user_tokens(
                u.id,
                &[
                    TokenKind::Session,
                    TokenKind::PasswordChange,
                    TokenKind::PasswordReset,
                    TokenKind::Mfa,
                    TokenKind::MfaEnrolment,
                ],
            )
            .await?;
            tx.clear_login_attempts(&format!("account:{}", u.login.to_lowercase()))
                .await?;
            let mut as_user = ctx.clone();
            as_user.actor.user = Some(u.id);
            audit(
                tx.as_mut(),
                &as_user,
                u.tenant,
                "user.password_reset",
                Some(u.id),
                json!({}),
            )
            .await?;
            let ended = AccessChange::new(AccessKind::User, u.id);
            let outcome = self.open_after_password(tx.as_mut(), u, true).await?;
            self.commit_access(tx, &[ended]).await?;
            Ok(outcome)
        })
        .await
    }
}

/// Sends a reset email after the request was answered; a failure is logged (never the link).
async fn send_in_background(transport: Arc<dyn MailTransport>, smtp: SmtpSettings, email: Email) {
    if let Err(e) = transport.send(&smtp, email).await {
        tracing::warn!(error = %e, "a password reset email could not be sent");
    }
}
