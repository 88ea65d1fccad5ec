//! Decisions for applications: `check`, its batch form, `explain`, and a user's effective
//! permissions. All answer from this node's access index.

use super::{Ctx, Service};
use crate::access::{micros, Explanation, Reaching};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id, Timestamp};
use std::collections::HashMap;

/// The most questions one batch may ask.
pub const MAX_BATCH: usize = 1000;

/// One question: may `user` do `action` on `resource`?
#[derive(Debug, Clone)]
pub struct Question {
    /// The user asked about.
    pub user: Id,
    /// A bare action of the resource's type (`read`) or spelled with it (`device:read`).
    pub action: String,
    /// The resource (or any roster object).
    pub resource: Id,
}

/// An explained decision, with when the user joined each group on the path.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The decision and its path.
    pub explanation: Explanation,
    /// For each group on the path, when the user's membership began.
    pub member_since: HashMap<Id, Timestamp>,
}

impl Service {
    /// Whether the caller may ask about `user`: it is themselves, or they may read the user.
    /// Questions about anyone else are answered "not allowed", never with an error a careless
    /// caller could take for success.
    fn may_ask_about(&self, ctx: &Ctx, user: Id) -> bool {
        ctx.actor.system_admin || ctx.actor.is(user) || self.may(ctx, "user", "read", user)
    }

    /// `check`: whether `user` may do `action` on `resource`, now.
    pub fn check(&self, ctx: &Ctx, q: &Question) -> bool {
        self.may_ask_about(ctx, q.user)
            && self
                .access
                .read(|ix| ix.check(q.user, &q.action, q.resource, micros(now())))
    }

    /// The batch form of [`Service::check`]: one answer per question, in order.
    pub fn check_batch(&self, ctx: &Ctx, questions: &[Question]) -> CoreResult<Vec<bool>> {
        if questions.is_empty() || questions.len() > MAX_BATCH {
            return Err(CoreError::invalid(
                "invalid_batch",
                "checks",
                format!("ask 1 to {MAX_BATCH} questions at once"),
            ));
        }
        let at = micros(now());
        let allowed: Vec<bool> = questions
            .iter()
            .map(|q| self.may_ask_about(ctx, q.user))
            .collect();
        Ok(self.access.read(|ix| {
            questions
                .iter()
                .zip(allowed)
                .map(|(q, ok)| ok && ix.check(q.user, &q.action, q.resource, at))
                .collect()
        }))
    }

    /// `explain`: the decision of [`Service::check`] with its path. A question the caller may
    /// not ask is explained as "unknown user".
    pub async fn explain(&self, ctx: &Ctx, q: &Question) -> CoreResult<Explained> {
        let at = now();
        let user = if self.may_ask_about(ctx, q.user) {
            q.user
        } else {
            Id::nil()
        };
        let explanation = self
            .access
            .read(|ix| ix.explain(user, &q.action, q.resource, micros(at)));
        let mut member_since = HashMap::new();
        let groups: Vec<Id> = explanation
            .allowed_by
            .iter()
            .chain(&explanation.denied_by)
            .filter_map(|s| s.via_group)
            .collect();
        if !groups.is_empty() {
            let mut tx = self.read().await?;
            for g in groups {
                if let Some(m) = tx.get_membership(g, user).await? {
                    member_since.insert(g, m.valid_from.unwrap_or(m.created_at));
                }
            }
        }
        Ok(Explained {
            explanation,
            member_since,
        })
    }

    /// Every grant in force reaching `user`, per scope (the caller themselves, or a user they
    /// may read).
    pub async fn effective_permissions(&self, ctx: &Ctx, user: Id) -> CoreResult<Vec<Reaching>> {
        let mut tx = self.read().await?;
        tx.get_user(ctx.actor.scope(), user)
            .await?
            .filter(|u| self.may_ask_about(ctx, u.id))
            .ok_or_else(|| CoreError::not_found("user"))?;
        Ok(self
            .access
            .read(|ix| ix.grants_reaching(user, micros(now()))))
    }
}
