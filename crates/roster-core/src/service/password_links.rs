//! One-time links that end in a new password (activation, password reset): finding the
//! link's holder before the password is hashed, and claiming the link in the write.

use super::Service;
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id};
use crate::model::{TokenKind, User};
use crate::secret;
use crate::store::{StoreTx, TenantScope};

/// Who holds a link, and the new password they chose, hashed.
pub(super) struct LinkHolder {
    /// The stored hash of the link's token, to claim it by.
    pub(super) hash: [u8; 32],
    /// The user the link was made for.
    pub(super) user: User,
    /// The new password as a PHC string.
    pub(super) phc: String,
}

impl Service {
    /// The holder of the unexpired link `token` of `kind`, with `password` checked against
    /// their tenant's policy and hashed (outside any write transaction). A malformed, unknown,
    /// expired or other kind of link is `invalid()`.
    pub(super) async fn link_holder(
        &self,
        token: &str,
        kind: TokenKind,
        password: &str,
        invalid: impl Fn() -> CoreError,
    ) -> CoreResult<LinkHolder> {
        if !secret::well_formed(token) {
            return Err(invalid());
        }
        let hash = secret::hash(token);
        let user = {
            let mut tx = self.read().await?;
            let record = tx
                .get_token_by_hash(&hash)
                .await?
                .filter(|t| t.kind == kind && t.expires_at > now())
                .ok_or_else(&invalid)?;
            let user = tx
                .get_user(TenantScope::All, record.user)
                .await?
                .ok_or_else(&invalid)?;
            self.check_new_password(tx.as_mut(), user.tenant, password, (&user).into())
                .await?;
            user
        };
        let phc = self.hasher.hash(password).await?;
        Ok(LinkHolder { hash, user, phc })
    }
}

/// Claims the link stored under `hash` in `tx`: it must still be there, unexpired, of `kind`
/// and made for `user`, and it is deleted, so that of two parallel redemptions one wins.
pub(super) async fn claim_link(
    tx: &mut dyn StoreTx,
    hash: &[u8; 32],
    kind: TokenKind,
    user: Id,
    invalid: impl Fn() -> CoreError,
) -> CoreResult<()> {
    let record = tx
        .get_token_by_hash(hash)
        .await?
        .filter(|t| t.kind == kind && t.expires_at > now() && t.user == user)
        .ok_or_else(&invalid)?;
    if !tx.delete_token(record.id).await? {
        return Err(invalid());
    }
    Ok(())
}
