//! Which second factors a user has, for the pages that show them.

use super::{Ctx, Service};
use crate::error::CoreResult;
use crate::ids::Id;

/// The second factors a user has set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorStatus {
    /// A confirmed authenticator app (with its recovery codes).
    pub authenticator: bool,
    /// Sign-in codes by email.
    pub email_codes: bool,
}

impl FactorStatus {
    /// Whether sign-in asks for a second factor at all.
    pub fn any(self) -> bool {
        self.authenticator || self.email_codes
    }
}

impl Service {
    /// The second factors of `user`: the caller themselves, or a user they may read.
    pub async fn second_factors(&self, ctx: &Ctx, user: Id) -> CoreResult<FactorStatus> {
        let mut tx = self.read().await?;
        let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        Ok(FactorStatus {
            authenticator: tx.get_totp(u.id).await?.is_some_and(|f| f.confirmed),
            email_codes: tx.has_email_factor(u.id).await?,
        })
    }
}
