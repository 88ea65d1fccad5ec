//! Passwords and activation links: an administrator shows a pending user's activation link
//! or sets a password; anyone changes their own (also when a login requires it).

use super::{audit, Ctx, LoginOutcome, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id, Timestamp};
use crate::model::{AccessChange, AccessKind, TokenKind, UserKind, UserStatus};
use crate::policy::Policy;
use crate::secret;
use crate::store::TenantScope;
use serde_json::json;

/// A fresh activation link: shown to the administrator, or emailed to the user.
#[derive(Debug, Clone)]
pub enum ActivationLink {
    /// The link to pass on; its `token` query parameter is the one-time secret.
    Shown {
        /// The link.
        url: String,
        /// When it stops working.
        expires_at: Timestamp,
    },
    /// The link went to the user's email address.
    Sent {
        /// The address it went to.
        to: String,
        /// When it stops working.
        expires_at: Timestamp,
    },
}

impl Service {
    /// Makes a new activation link for a pending user (voiding older ones). With `send`, the
    /// link would be emailed: refused until outgoing email is configured.
    pub async fn create_activation_link(
        &self,
        ctx: &Ctx,
        user: Id,
        send: bool,
    ) -> CoreResult<ActivationLink> {
        self.retrying(|| self.create_activation_link_once(ctx, user, send))
            .await
    }

    /// One attempt of [`Service::create_activation_link`].
    async fn create_activation_link_once(
        &self,
        ctx: &Ctx,
        user: Id,
        send: bool,
    ) -> CoreResult<ActivationLink> {
        let mailer = if send {
            Some(self.mail_route().await?)
        } else {
            None
        };
        let mut tx = self.write().await?;
        let (user, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        if !self.may(ctx, "user", "update", user.id) {
            return Err(CoreError::forbidden(
                "only an administrator of the owner may make activation links",
            ));
        }
        if user.status != UserStatus::Pending || user.kind != UserKind::Internal {
            return Err(CoreError::conflict(
                "not_pending",
                "only a pending internal user can be activated",
            ));
        }
        let to = match (&mailer, &user.email) {
            (Some(_), None) => {
                return Err(CoreError::invalid(
                    "no_email",
                    "send",
                    "the user has no email address to send the link to",
                ))
            }
            (Some(_), Some(email)) => Some(email.clone()),
            (None, _) => None,
        };
        let token = self.issue_activation_token(tx.as_mut(), &user).await?;
        let expires_at = now() + self.settings.activation_ttl;
        let url = format!("{}/activate?token={token}", self.settings.public_url);
        audit(
            tx.as_mut(),
            ctx,
            user.tenant,
            "user.activation_link",
            Some(user.id),
            json!({"sent_to": to}),
        )
        .await?;
        tx.commit().await?;
        match (mailer, to) {
            (Some((transport, smtp)), Some(to)) => {
                transport
                    .send(
                        &smtp,
                        super::emails::activation(&user, &to, &url, expires_at),
                    )
                    .await
                    .map_err(|e| CoreError::MailFailed(e.to_string()))?;
                Ok(ActivationLink::Sent { to, expires_at })
            }
            _ => Ok(ActivationLink::Shown { url, expires_at }),
        }
    }

    /// An administrator sets a user's password (activating a pending user) and may require a
    /// change at next login. The user's sessions end.
    pub async fn set_password(
        &self,
        ctx: &Ctx,
        user: Id,
        password: &str,
        must_change_password: bool,
    ) -> CoreResult<()> {
        self.retrying(|| self.set_password_once(ctx, user, password, must_change_password))
            .await
    }

    /// One attempt of [`Service::set_password`].
    async fn set_password_once(
        &self,
        ctx: &Ctx,
        user: Id,
        password: &str,
        must_change: bool,
    ) -> CoreResult<()> {
        {
            let mut tx = self.read().await?;
            let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
            if !self.may(ctx, "user", "update", u.id) || ctx.actor.is(u.id) {
                return Err(CoreError::forbidden(
                    "an administrator of the owner sets other users' passwords; change your own with your current one",
                ));
            }
            if u.kind != UserKind::Internal {
                return Err(CoreError::conflict(
                    "external_user",
                    "an external user's password is held by the directory",
                ));
            }
            self.check_new_password(tx.as_mut(), u.tenant, password, (&u).into())
                .await?;
        }
        let phc = self.hasher.hash(password).await?;
        let mut tx = self.write().await?;
        let (mut u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        tx.set_password_hash(u.id, Some(&phc)).await?;
        let activated = u.status == UserStatus::Pending;
        if activated {
            u.status = UserStatus::Active;
        }
        u.must_change_password = must_change;
        u.version += 1;
        u.updated_at = now();
        tx.update_user(&u).await?;
        tx.delete_user_tokens(
            u.id,
            &[
                TokenKind::Session,
                TokenKind::PasswordChange,
                TokenKind::Activation,
            ],
        )
        .await?;
        audit(
            tx.as_mut(),
            ctx,
            u.tenant,
            "user.password_set",
            Some(u.id),
            json!({"must_change_password": must_change, "activated": activated}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, u.id)])
            .await?;
        Ok(())
    }

    /// Changes the caller's own password, given the current one. Every session of theirs ends
    /// and a new one is returned; a required change is then done.
    pub async fn change_own_password(
        &self,
        ctx: &Ctx,
        current: &str,
        new: &str,
    ) -> CoreResult<LoginOutcome> {
        self.retrying(|| self.change_own_password_once(ctx, current, new))
            .await
    }

    /// One attempt of [`Service::change_own_password`].
    async fn change_own_password_once(
        &self,
        ctx: &Ctx,
        current: &str,
        new: &str,
    ) -> CoreResult<LoginOutcome> {
        let id = ctx
            .actor
            .user
            .ok_or_else(|| CoreError::forbidden("sign in first"))?;
        if ctx.actor.impersonator.is_some() {
            return Err(CoreError::forbidden(
                "a password is changed by its owner, not from a login as user",
            ));
        }
        let (user, hash, policy) = {
            let mut tx = self.read().await?;
            let u = tx
                .get_user(TenantScope::All, id)
                .await?
                .ok_or_else(|| CoreError::not_found("user"))?;
            let h = tx.password_hash(id).await?;
            let p = super::settings::policy_of(tx.as_mut(), u.tenant).await?;
            (u, h, p)
        };
        if user.kind != UserKind::Internal {
            return Err(CoreError::conflict(
                "external_user",
                "an external user's password is held by the directory",
            ));
        }
        let current_ok = self.hasher.verify(current, hash).await?;
        if !current_ok {
            return Err(CoreError::invalid(
                "wrong_password",
                "current_password",
                "the current password is wrong",
            ));
        }
        if new == current {
            return Err(CoreError::invalid(
                "password_unchanged",
                "new_password",
                "the new password must differ from the current one",
            ));
        }
        super::settings::check_off_runtime(policy, new, (&user).into()).await?;
        let phc = self.hasher.hash(new).await?;
        let mut tx = self.write().await?;
        let mut u = tx
            .get_user(TenantScope::All, id)
            .await?
            .ok_or_else(|| CoreError::not_found("user"))?;
        tx.set_password_hash(u.id, Some(&phc)).await?;
        u.must_change_password = false;
        u.version += 1;
        u.updated_at = now();
        tx.update_user(&u).await?;
        tx.delete_user_tokens(u.id, &[TokenKind::Session, TokenKind::PasswordChange])
            .await?;
        audit(
            tx.as_mut(),
            ctx,
            u.tenant,
            "user.password_change",
            Some(u.id),
            json!({}),
        )
        .await?;
        let ended = AccessChange::new(AccessKind::User, u.id);
        let outcome = self.open_session(tx.as_mut(), u).await?;
        self.commit_access(tx, &[ended]).await?;
        Ok(outcome)
    }

    /// The password policy that applies to the account a one-time link or a restricted
    /// sign-in token is for (activation, password reset, required change), so its page can
    /// say what a password needs; the default policy for a token that is unknown or spent.
    pub async fn password_policy_for_link(&self, token: &str) -> Policy {
        const KINDS: [TokenKind; 3] = [
            TokenKind::Activation,
            TokenKind::PasswordReset,
            TokenKind::PasswordChange,
        ];
        let found = async {
            if !secret::well_formed(token) {
                return Ok(None);
            }
            let mut tx = self.read().await?;
            let record = tx.get_token_by_hash(&secret::hash(token)).await?;
            match record.filter(|t| KINDS.contains(&t.kind) && t.expires_at > now()) {
                Some(t) => super::settings::policy_of(tx.as_mut(), t.tenant)
                    .await
                    .map(Some),
                None => Ok::<_, CoreError>(None),
            }
        };
        found.await.ok().flatten().unwrap_or_default()
    }
}
