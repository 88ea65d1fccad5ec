//! Email as a second factor (TrueCommand's "2FA after email verification"): a user confirms
//! their address through an emailed link, then turns on sign-in codes by email; a login then
//! asks for a six-digit code sent to that address.

use super::auth::LoginOutcome;
use super::second_factor::step_user;
use super::{audit, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id};
use crate::model::{TokenKind, TokenRecord, User, UserStatus};
use crate::secret;
use crate::store::{StoreTx, TenantScope};
use chrono::Duration;
use rand::Rng;
use serde_json::json;

/// How long an emailed sign-in code works.
const CODE_MINUTES: i64 = 10;
/// Codes one login may have sent within the throttling window.
const CODES_PER_WINDOW: i64 = 5;

/// How an emailed code is stored: bound to the sign-in step it was sent for.
fn code_hash(step: Id, code: &str) -> [u8; 32] {
    secret::hash(&format!("{step}:{code}"))
}

/// An address shown without giving it away: `g***@example.com`.
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

impl Service {
    /// Emails the caller a link that confirms their address (not from inside a login as
    /// user). Answers where it went.
    pub async fn send_email_verification(&self, ctx: &Ctx) -> CoreResult<String> {
        let (transport, smtp) = self.mail_route().await?;
        let (user, to, url) = self
            .retrying(|| async {
                let user = self.own_account(ctx).await?;
                let to = user.email.clone().ok_or_else(|| {
                    CoreError::conflict("no_email", "your account has no email address")
                })?;
                if user.email_verified {
                    return Err(CoreError::conflict(
                        "email_verified",
                        "your email address is verified already",
                    ));
                }
                let mut tx = self.write().await?;
                tx.delete_user_tokens(user.id, &[TokenKind::EmailVerification])
                    .await?;
                let token = secret::generate();
                let at = now();
                let record = TokenRecord {
                    id: new_id(),
                    user: user.id,
                    tenant: user.tenant,
                    kind: TokenKind::EmailVerification,
                    // The address the link confirms: a changed address voids it.
                    name: Some(to.clone()),
                    created_at: at,
                    expires_at: at + self.settings.activation_ttl,
                    last_used_at: at,
                    impersonator: None,
                };
                tx.insert_token(&record, &secret::hash(&token)).await?;
                audit(
                    tx.as_mut(),
                    ctx,
                    user.tenant,
                    "user.email_verification_sent",
                    Some(user.id),
                    json!({"to": to}),
                )
                .await?;
                tx.commit().await?;
                let url = format!("{}/verify-email?token={token}", self.settings.public_url);
                Ok((user, to, url))
            })
            .await?;
        transport
            .send(&smtp, super::emails::email_verification(&user, &to, &url))
            .await
            .map_err(|e| CoreError::MailFailed(e.to_string()))?;
        Ok(to)
    }

    /// Redeems an email verification link: the address it was sent to is verified (if it
    /// is still the account's). Works once, signed in or not.
    pub async fn verify_email(&self, ctx: &Ctx, token: &str) -> CoreResult<User> {
        self.retrying(|| async {
            let invalid = || {
                CoreError::invalid(
                    "invalid_token",
                    "token",
                    "the verification link is invalid, used or expired",
                )
            };
            if !secret::well_formed(token) {
                return Err(invalid());
            }
            let mut tx = self.write().await?;
            let record = tx
                .get_token_by_hash(&secret::hash(token))
                .await?
                .filter(|t| t.kind == TokenKind::EmailVerification && t.expires_at > now())
                .ok_or_else(invalid)?;
            let mut user = tx
                .get_user(TenantScope::All, record.user)
                .await?
                .filter(|u| u.status != UserStatus::Disabled)
                .filter(|u| u.email.is_some() && u.email == record.name)
                .ok_or_else(invalid)?;
            if !tx.delete_token(record.id).await? {
                return Err(invalid());
            }
            user.email_verified = true;
            user.version += 1;
            user.updated_at = now();
            tx.update_user(&user).await?;
            let mut as_user = ctx.clone();
            as_user.actor.user = Some(user.id);
            audit(
                tx.as_mut(),
                &as_user,
                user.tenant,
                "user.email_verified",
                Some(user.id),
                json!({"email": user.email}),
            )
            .await?;
            tx.commit().await?;
            Ok(user)
        })
        .await
    }

    /// Turns on sign-in codes by email for the caller: needs a verified address and
    /// outgoing email.
    pub async fn enable_email_codes(&self, ctx: &Ctx) -> CoreResult<()> {
        self.mail_route().await?;
        self.retrying(|| async {
            let user = self.own_account(ctx).await?;
            let mut tx = self.write().await?;
            self.turn_on_email_codes(tx.as_mut(), ctx, &user).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// Turns sign-in codes by email on for `user` in `tx`, audited.
    async fn turn_on_email_codes(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        user: &User,
    ) -> CoreResult<()> {
        if user.email.is_none() || !user.email_verified {
            return Err(CoreError::conflict(
                "email_not_verified",
                "verify your email address before using it for sign-in codes",
            ));
        }
        tx.put_email_factor(user.id, now()).await?;
        let mut as_user = ctx.clone();
        as_user.actor.user = Some(user.id);
        audit(
            tx,
            &as_user,
            user.tenant,
            "user.email_codes_on",
            Some(user.id),
            json!({}),
        )
        .await
    }

    /// Turns sign-in codes by email off for the caller.
    pub async fn disable_email_codes(&self, ctx: &Ctx) -> CoreResult<()> {
        self.retrying(|| async {
            let user = self.own_account(ctx).await?;
            let mut tx = self.write().await?;
            if !tx.delete_email_factor(user.id).await? {
                return Err(CoreError::not_found("email codes"));
            }
            audit(
                tx.as_mut(),
                ctx,
                user.tenant,
                "user.email_codes_off",
                Some(user.id),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// During a login that answered `next: mfa_enrolment`, chooses sign-in codes by email
    /// (the address must be verified): the login moves on to `next: mfa`.
    pub async fn enrol_email_at_login(&self, ctx: &Ctx, token: &str) -> CoreResult<LoginOutcome> {
        self.mail_route().await?;
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let (record, user) = step_user(tx.as_mut(), token, TokenKind::MfaEnrolment).await?;
            self.turn_on_email_codes(tx.as_mut(), ctx, &user).await?;
            tx.delete_token(record.id).await?;
            let outcome = self.open_after_password(tx.as_mut(), user, true).await?;
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    /// Emails a sign-in code for a login that answered `next: mfa` to a user with email
    /// codes on; a new code voids the previous one. Answers where it went, masked.
    pub async fn send_sign_in_code(&self, ctx: &Ctx, mfa_token: &str) -> CoreResult<String> {
        let (transport, smtp) = self.mail_route().await?;
        let (user, to, code) = self
            .retrying(|| async {
                let mut tx = self.write().await?;
                let (record, user) = step_user(tx.as_mut(), mfa_token, TokenKind::Mfa).await?;
                let to = match (&user.email, tx.has_email_factor(user.id).await?) {
                    (Some(e), true) => e.clone(),
                    _ => {
                        return Err(CoreError::conflict(
                            "email_codes_off",
                            "this account does not receive sign-in codes by email",
                        ))
                    }
                };
                let at = now();
                let window_start = super::auth::throttle_window_start(at);
                let sent = tx
                    .count_login_attempt(&format!("email-code:{}", user.id), at, window_start)
                    .await?;
                if sent > CODES_PER_WINDOW {
                    return Err(CoreError::conflict(
                        "too_many_codes",
                        "too many codes were sent; wait a few minutes and sign in again",
                    ));
                }
                tx.delete_user_tokens(user.id, &[TokenKind::EmailCode])
                    .await?;
                let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
                let stored = TokenRecord {
                    id: new_id(),
                    user: user.id,
                    tenant: user.tenant,
                    kind: TokenKind::EmailCode,
                    name: None,
                    created_at: at,
                    expires_at: (at + Duration::minutes(CODE_MINUTES)).min(record.expires_at),
                    last_used_at: at,
                    impersonator: None,
                };
                tx.insert_token(&stored, &code_hash(record.id, &code))
                    .await?;
                let mut as_user = ctx.clone();
                as_user.actor.user = Some(user.id);
                audit(
                    tx.as_mut(),
                    &as_user,
                    user.tenant,
                    "auth.email_code_sent",
                    Some(user.id),
                    json!({"to": masked(&to)}),
                )
                .await?;
                tx.commit().await?;
                Ok((user, to, code))
            })
            .await?;
        transport
            .send(
                &smtp,
                super::emails::sign_in_code(&user, &to, &code, CODE_MINUTES),
            )
            .await
            .map_err(|e| CoreError::MailFailed(e.to_string()))?;
        Ok(masked(&to))
    }

    /// Uses up the code emailed for the sign-in step `step` of `user`, if `code` is it.
    pub(super) async fn use_email_code(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        step: Id,
        code: &str,
    ) -> CoreResult<bool> {
        let Some(stored) = tx.get_token_by_hash(&code_hash(step, code)).await? else {
            return Ok(false);
        };
        if stored.kind != TokenKind::EmailCode
            || stored.user != user.id
            || stored.expires_at <= now()
        {
            return Ok(false);
        }
        Ok(tx.delete_token(stored.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(masked("gina@example.com"), "g***@example.com");
        assert_eq!(masked("nobody"), "***");
    }

    #[test]
    fn codes_are_bound_to_their_step() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(code_hash(a, "123456"), code_hash(a, "123456"));
        assert_ne!(code_hash(a, "123456"), code_hash(b, "123456"));
    }
}
