//! Who is acting. What they may do is decided by the access engine (see
//! `crate::access`), asked by the service functions.

use crate::ids::Id;
use crate::store::TenantScope;

/// The caller of a service function.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user acting; `None` for roster itself (bootstrap, demo data).
    pub user: Option<Id>,
    /// The acting user's tenant (the system root's id for roster itself).
    pub tenant: Id,
    /// Whether the actor administers the whole install (holds `*:*` on the system root).
    pub system_admin: bool,
    /// The session or API token the request came with.
    pub token: Option<Id>,
    /// The administrator acting as `user` ("login as user"), if this is such a session.
    pub impersonator: Option<Id>,
}

impl Actor {
    /// roster itself, with every right; used for bootstrap and demo data.
    pub fn system() -> Self {
        Actor {
            user: None,
            tenant: crate::SYSTEM_NODE_ID,
            system_admin: true,
            token: None,
            impersonator: None,
        }
    }

    /// Nobody yet: a request that has not authenticated (login, activation).
    pub fn anonymous() -> Self {
        Actor {
            user: None,
            tenant: crate::SYSTEM_NODE_ID,
            system_admin: false,
            token: None,
            impersonator: None,
        }
    }

    /// The tenants this actor's reads may touch.
    pub fn scope(&self) -> TenantScope {
        if self.system_admin {
            TenantScope::All
        } else {
            TenantScope::Tenant(self.tenant)
        }
    }

    /// Whether the actor is this user.
    pub fn is(&self, user: Id) -> bool {
        self.user == Some(user)
    }
}
