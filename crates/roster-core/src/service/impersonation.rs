//! "Login as user": an administrator acts as another user for a short, audited while.

use super::{audit, Ctx, LoginOutcome, Service};
use crate::access::micros;
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id};
use crate::model::{Effect, TokenKind, TokenRecord, UserStatus};
use crate::secret;
use crate::store::TenantScope;
use serde_json::json;

/// The longest reason accepted.
const MAX_REASON: usize = 500;

impl Service {
    /// Opens a session as `target` for the calling administrator, with a reason. Refused for
    /// system administrators, for anyone holding rights the caller lacks, and from inside
    /// another impersonation. The session names both users in every audit event and ends
    /// after [`ServiceSettings::impersonation_ttl`](super::ServiceSettings).
    pub async fn impersonate(
        &self,
        ctx: &Ctx,
        target: Id,
        reason: &str,
    ) -> CoreResult<LoginOutcome> {
        self.retrying(|| self.impersonate_once(ctx, target, reason))
            .await
    }

    /// One attempt of [`Service::impersonate`].
    async fn impersonate_once(
        &self,
        ctx: &Ctx,
        target: Id,
        reason: &str,
    ) -> CoreResult<LoginOutcome> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            return Err(CoreError::invalid(
                "reason_required",
                "reason",
                format!("say why, in 1 to {MAX_REASON} characters"),
            ));
        }
        let admin = ctx
            .actor
            .user
            .ok_or_else(|| CoreError::forbidden("sign in first"))?;
        if ctx.actor.impersonator.is_some() {
            return Err(CoreError::forbidden(
                "no login as another user from inside a login as user",
            ));
        }
        let mut tx = self.write().await?;
        let (user, _) = self.visible_user(tx.as_mut(), ctx, target).await?;
        if !self.may(ctx, "user", "impersonate", user.id) || user.id == admin {
            return Err(CoreError::forbidden(
                "login as user needs administrator rights on the user's owner",
            ));
        }
        if user.status != UserStatus::Active {
            return Err(CoreError::conflict(
                "not_active",
                "only an active user can be logged in as",
            ));
        }
        let at = now();
        let (is_system_admin, reaching) = self.access.read(|ix| {
            (
                ix.is_system_admin(user.id, micros(at)),
                ix.grants_reaching(user.id, micros(at)),
            )
        });
        if is_system_admin {
            return Err(CoreError::forbidden(
                "nobody logs in as a system administrator",
            ));
        }
        let lacks = reaching
            .iter()
            .filter(|r| r.effect == Effect::Allow)
            .any(|r| r.permissions.iter().any(|p| !self.holds(ctx, p, r.scope)));
        if lacks {
            return Err(CoreError::forbidden(
                "the user holds rights you do not hold",
            ));
        }
        let token = secret::generate();
        let record = TokenRecord {
            id: new_id(),
            user: user.id,
            tenant: user.tenant,
            kind: TokenKind::Impersonation,
            name: None,
            created_at: at,
            expires_at: at + self.settings.impersonation_ttl,
            last_used_at: at,
            impersonator: Some(admin),
        };
        tx.insert_sign_in_token(&record, &secret::hash(&token))
            .await?;
        audit(
            tx.as_mut(),
            ctx,
            user.tenant,
            "user.impersonate",
            Some(user.id),
            json!({"reason": reason, "session": record.id, "expires_at": record.expires_at}),
        )
        .await?;
        tx.commit().await?;
        Ok(LoginOutcome {
            next: None,
            token,
            session: record,
            user,
            methods: Vec::new(),
        })
    }

    /// The administrator behind the caller's "login as user" session, if it is one.
    pub async fn impersonator(&self, ctx: &Ctx) -> CoreResult<Option<crate::model::User>> {
        let Some(id) = ctx.actor.impersonator else {
            return Ok(None);
        };
        let mut tx = self.read().await?;
        Ok(tx.get_user(TenantScope::All, id).await?)
    }
}
