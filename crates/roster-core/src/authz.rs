//! Who is acting, and the interim rule of what they may do: administering an org node means
//! being a (currently valid) member of its predefined Administrators group, or of an
//! ancestor's; everyone else may read only themselves.

use crate::ids::Id;
use crate::model::OrgNode;
use crate::store::TenantScope;

/// The caller of a service function.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user acting; `None` for roster itself (bootstrap, demo data).
    pub user: Option<Id>,
    /// The acting user's tenant (the system root's id for roster itself).
    pub tenant: Id,
    /// Whether the actor administers the whole install.
    pub system_admin: bool,
    /// Org nodes whose Administrators group the actor is in.
    pub admin_of: Vec<Id>,
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
            admin_of: vec![crate::SYSTEM_NODE_ID],
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
            admin_of: Vec::new(),
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

    /// Whether the actor administers `node` (directly or through an ancestor).
    pub fn administers(&self, node: &OrgNode) -> bool {
        self.system_admin || node.path.iter().any(|n| self.admin_of.contains(n))
    }

    /// Whether the actor is this user.
    pub fn is(&self, user: Id) -> bool {
        self.user == Some(user)
    }
}
