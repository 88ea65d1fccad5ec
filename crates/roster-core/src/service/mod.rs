//! The service functions: one per use case; each authorises, validates, changes and audits.

use crate::authz::Actor;
use crate::password::PasswordHasher;
use crate::store::Store;
use std::sync::Arc;

/// Tunables of the service layer.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The URL users reach roster at, for links.
    pub public_url: String,
}

/// The request context every service function receives.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Who is acting.
    pub actor: Actor,
    /// The request's id, for the audit log.
    pub request_id: Option<String>,
    /// The client's address, for the audit log.
    pub address: Option<String>,
}

/// The service layer: every use case, over one store.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    hasher: PasswordHasher,
    settings: ServiceSettings,
}
