//! Sessions as their owners and administrators see them: list, end one, end all.

use super::{audit, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id};
use crate::model::{AccessChange, AccessKind, TokenKind, TokenRecord};
use serde_json::json;

impl Service {
    /// The live sessions of `user`: the caller's own, or those of a user they administer.
    pub async fn list_sessions(&self, ctx: &Ctx, user: Id) -> CoreResult<Vec<TokenRecord>> {
        let mut tx = self.read().await?;
        let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        if !ctx.actor.is(u.id) && !self.may(ctx, "user", "update", u.id) {
            return Err(CoreError::not_found("user"));
        }
        let at = now();
        let idle = self.settings.session_idle;
        let mut sessions: Vec<TokenRecord> = tx
            .list_user_tokens(u.id, TokenKind::Session)
            .await?
            .into_iter()
            .filter(|t| t.expires_at > at && t.last_used_at + idle > at)
            .collect();
        sessions.sort_by_key(|t| std::cmp::Reverse(t.last_used_at));
        Ok(sessions)
    }

    /// Ends one of the caller's own sessions.
    pub async fn end_own_session(&self, ctx: &Ctx, session: Id) -> CoreResult<()> {
        self.retrying(|| self.end_own_session_once(ctx, session))
            .await
    }

    /// One attempt of [`Service::end_own_session`].
    async fn end_own_session_once(&self, ctx: &Ctx, session: Id) -> CoreResult<()> {
        let user = ctx
            .actor
            .user
            .ok_or_else(|| CoreError::not_found("session"))?;
        let mut tx = self.write().await?;
        let owned = tx
            .list_user_tokens(user, TokenKind::Session)
            .await?
            .iter()
            .any(|t| t.id == session);
        if !owned || !tx.delete_token(session).await? {
            return Err(CoreError::not_found("session"));
        }
        audit(
            tx.as_mut(),
            ctx,
            ctx.actor.tenant,
            "session.end",
            Some(session),
            json!({}),
        )
        .await?;
        self.commit_access(tx, &super::auth::token_ended(ctx)).await
    }

    /// Ends one session of `user`: one of the caller's own, or of a user whose owner the
    /// caller administers (`user:update`).
    pub async fn end_user_session(&self, ctx: &Ctx, user: Id, session: Id) -> CoreResult<()> {
        self.retrying(|| self.end_user_session_once(ctx, user, session))
            .await
    }

    /// One attempt of [`Service::end_user_session`].
    async fn end_user_session_once(&self, ctx: &Ctx, user: Id, session: Id) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        if !ctx.actor.is(u.id) && !self.may(ctx, "user", "update", u.id) {
            return Err(CoreError::forbidden(
                "an administrator of the owner ends other users' sessions",
            ));
        }
        let owned = tx
            .list_user_tokens(u.id, TokenKind::Session)
            .await?
            .iter()
            .any(|t| t.id == session);
        if !owned || !tx.delete_token(session).await? {
            return Err(CoreError::not_found("session"));
        }
        audit(
            tx.as_mut(),
            ctx,
            u.tenant,
            "session.end",
            Some(session),
            json!({"user": u.id}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, u.id)])
            .await
    }

    /// An administrator of the user's owner ends all of the user's sessions; how many ended.
    pub async fn end_user_sessions(&self, ctx: &Ctx, user: Id) -> CoreResult<u64> {
        self.retrying(|| self.end_user_sessions_once(ctx, user))
            .await
    }

    /// One attempt of [`Service::end_user_sessions`].
    async fn end_user_sessions_once(&self, ctx: &Ctx, user: Id) -> CoreResult<u64> {
        let mut tx = self.write().await?;
        let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        if !self.may(ctx, "user", "update", u.id) || ctx.actor.is(u.id) {
            return Err(CoreError::forbidden(
                "an administrator of the owner ends other users' sessions; end your own one by one",
            ));
        }
        let ended = tx
            .delete_user_tokens(u.id, &[TokenKind::Session, TokenKind::PasswordChange])
            .await?;
        audit(
            tx.as_mut(),
            ctx,
            u.tenant,
            "user.sessions_end",
            Some(u.id),
            json!({"ended": ended}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, u.id)])
            .await?;
        Ok(ended)
    }
}
