//! Whether a user has a second factor, for the pages that show it.

use super::{Ctx, Service};
use crate::error::CoreResult;
use crate::ids::Id;

impl Service {
    /// Whether `user` has a confirmed authenticator (so sign-in asks for a code): the caller
    /// themselves, or a user they may read.
    pub async fn has_authenticator(&self, ctx: &Ctx, user: Id) -> CoreResult<bool> {
        let mut tx = self.read().await?;
        let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
        Ok(tx.get_totp(u.id).await?.is_some_and(|f| f.confirmed))
    }
}
