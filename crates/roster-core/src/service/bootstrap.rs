//! First start: the system root, its Administrators group and the system administrator.

use super::orgs::insert_node_with_groups;
use super::{audit, Ctx, Service};
use crate::error::CoreResult;
use crate::ids::{new_id, now, SYSTEM_NODE_ID};
use crate::model::{
    AccessChange, AccessKind, GroupKind, Membership, OrgKind, OrgNode, User, UserKind, UserStatus,
};
use crate::policy::{PersonalWords, Policy};
use crate::store::TenantScope;
use crate::validate;
use serde_json::json;

/// What bootstrap did.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapOutcome {
    /// Whether the system administrator was created now.
    pub created_admin: bool,
    /// A one-time set-up link, when the administrator still has no password.
    pub setup_url: Option<String>,
}

impl Service {
    /// Makes sure the system root and the system administrator exist. With a password the
    /// administrator is active at once; without one, a one-time set-up link is returned (a new
    /// one on every start until it is used; each voids the previous).
    pub async fn bootstrap(
        &self,
        admin_login: &str,
        admin_password: Option<&str>,
    ) -> CoreResult<BootstrapOutcome> {
        self.retrying(|| self.bootstrap_once(admin_login, admin_password))
            .await
    }

    /// One attempt of [`Service::bootstrap`].
    async fn bootstrap_once(
        &self,
        admin_login: &str,
        admin_password: Option<&str>,
    ) -> CoreResult<BootstrapOutcome> {
        let ctx = Ctx::system();
        let login = validate::login(admin_login)?;
        if let Some(p) = admin_password {
            let personal = PersonalWords {
                login: &login,
                ..PersonalWords::default()
            };
            super::settings::check_off_runtime(Policy::default(), p, personal).await?;
        }
        let existing = {
            let mut tx = self.read().await?;
            let root = tx.get_org_node(TenantScope::All, SYSTEM_NODE_ID).await?;
            let admin = tx.get_user_by_login(&login).await?;
            (root, admin)
        };
        let hash = match (admin_password, &existing.1) {
            (Some(p), None) => Some(self.hasher.hash(p).await?),
            _ => None,
        };
        let mut tx = self.write().await?;
        let mut changes = Vec::new();
        if existing.0.is_none() {
            let at = now();
            let root = OrgNode {
                id: SYSTEM_NODE_ID,
                kind: OrgKind::System,
                name: "System".into(),
                parent: None,
                tenant: SYSTEM_NODE_ID,
                path: vec![SYSTEM_NODE_ID],
                version: 1,
                created_at: at,
                updated_at: at,
            };
            // Nodes starting together race here; the loser's retry finds the winner's root.
            changes = insert_node_with_groups(tx.as_mut(), &root)
                .await
                .map_err(lost_race)?;
            audit(
                tx.as_mut(),
                &ctx,
                SYSTEM_NODE_ID,
                "system.bootstrap",
                Some(SYSTEM_NODE_ID),
                json!({}),
            )
            .await?;
        }
        let (admin, created) = match existing.1 {
            Some(admin) => (admin, false),
            None => {
                let at = now();
                let admin = User {
                    id: new_id(),
                    tenant: SYSTEM_NODE_ID,
                    owner: SYSTEM_NODE_ID,
                    login,
                    email: None,
                    email_verified: false,
                    first_name: Some("System".into()),
                    last_name: Some("Administrator".into()),
                    phone: None,
                    kind: UserKind::Internal,
                    status: if hash.is_some() {
                        UserStatus::Active
                    } else {
                        UserStatus::Pending
                    },
                    must_change_password: false,
                    version: 1,
                    created_at: at,
                    updated_at: at,
                };
                tx.insert_user(&admin, hash.as_deref())
                    .await
                    .map_err(|e| lost_race(e.into()))?;
                let admins = tx
                    .predefined_group(SYSTEM_NODE_ID, GroupKind::Administrators)
                    .await?
                    .ok_or_else(|| {
                        crate::CoreError::Internal("system Administrators group missing".into())
                    })?;
                tx.upsert_membership(&Membership {
                    group: admins.id,
                    user: admin.id,
                    tenant: SYSTEM_NODE_ID,
                    valid_from: None,
                    valid_until: None,
                    created_at: at,
                })
                .await?;
                changes.push(AccessChange::new(AccessKind::User, admin.id));
                audit(
                    tx.as_mut(),
                    &ctx,
                    SYSTEM_NODE_ID,
                    "user.create",
                    Some(admin.id),
                    json!({"login": admin.login, "system_administrator": true, "password_set": hash.is_some()}),
                )
                .await?;
                (admin, true)
            }
        };
        let setup_url = if admin.status == UserStatus::Pending {
            let token = self.issue_activation_token(tx.as_mut(), &admin).await?;
            Some(format!("{}/setup?token={token}", self.settings.public_url))
        } else {
            None
        };
        self.commit_access(tx, &changes).await?;
        Ok(BootstrapOutcome {
            created_admin: created,
            setup_url,
        })
    }
}

/// A uniqueness clash while bootstrapping means another node bootstrapped at the same
/// moment: run the attempt again, which then finds what that node made.
fn lost_race(e: crate::CoreError) -> crate::CoreError {
    match e {
        crate::CoreError::Conflict { .. } => crate::CoreError::Transient,
        other => other,
    }
}
