//! The service functions: one per use case; each authorises, validates, changes and audits,
//! the audit event written in the same transaction as the change.

mod audit_log;
mod auth;
mod authorize;
mod bootstrap;
mod credentials;
mod decisions;
mod demo;
mod email_factor;
mod emails;
mod factor_status;
mod grants;
mod groups;
mod impersonation;
mod orgs;
mod outgoing_mail;
mod password_links;
mod password_reset;
mod projects;
mod resources;
mod roles;
mod second_factor;
mod sessions;
mod settings;
mod token_cache;
mod users;

pub use auth::{LoginNext, LoginOutcome, NewApiToken};
pub use bootstrap::BootstrapOutcome;
pub use credentials::ActivationLink;
pub use decisions::{Explained, Question, MAX_BATCH};
pub use demo::DEMO_PASSWORD;
pub use email_factor::masked;
pub use factor_status::FactorStatus;
pub use grants::{CreateGrant, UpdateGrant};
pub use groups::{CreateGroup, DeleteMembers, GroupFilter, Joined, MemberView, UpdateGroup};
pub use orgs::{OrgFilter, UpdateOrgNode};
pub use projects::{Attached, CreateProject, ProjectMember, UpdateProject};
pub use resources::{CreateResource, CreateResourceGroup, ResourceFilter};
pub use roles::{CreateRole, UpdateRole, MAX_PERMISSIONS};
pub use second_factor::TotpEnrollment;
pub use settings::{PolicyChange, SmtpSource, SmtpView, UpdateSmtp};
pub use users::{CreateUser, UpdateUser, UpdatedUser, UserFilter};

use crate::access::AccessEngine;
use crate::authz::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id};
use crate::mail::{MailTransport, SmtpSettings};
use crate::model::AuditEvent;
use crate::password::PasswordHasher;
use crate::store::{Store, StoreError, StoreTx};
use chrono::Duration;
use std::future::Future;
use std::sync::Arc;

/// How often a write transaction is tried before a transient conflict reaches the caller.
const ATTEMPTS: u32 = 5;

/// Tunables of the service layer.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The URL users reach roster at, for links (no trailing slash).
    pub public_url: String,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after login, used or not.
    pub session_lifetime: Duration,
    /// How long an activation link works.
    pub activation_ttl: Duration,
    /// How long a "login as user" session lasts.
    pub impersonation_ttl: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            public_url: "http://127.0.0.1:8080".into(),
            session_idle: Duration::hours(8),
            session_lifetime: Duration::days(7),
            activation_ttl: Duration::hours(24),
            impersonation_ttl: Duration::minutes(30),
        }
    }
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

impl Ctx {
    /// A context for roster's own work (bootstrap, demo data, local CLI).
    pub fn system() -> Self {
        Ctx {
            actor: Actor::system(),
            request_id: None,
            address: None,
        }
    }
}

/// The service layer: every use case, over one store.
#[derive(Clone)]
pub struct Service {
    store: Arc<dyn Store>,
    hasher: PasswordHasher,
    settings: ServiceSettings,
    mail: Option<Arc<dyn MailTransport>>,
    default_smtp: Option<SmtpSettings>,
    access: Arc<AccessEngine>,
    tokens: Arc<token_cache::TokenCache>,
}

impl Service {
    /// A service over `store`.
    pub fn new(store: Arc<dyn Store>, hasher: PasswordHasher, settings: ServiceSettings) -> Self {
        Service {
            store,
            hasher,
            settings,
            mail: None,
            default_smtp: None,
            access: Arc::new(AccessEngine::new()),
            tokens: Arc::new(token_cache::TokenCache::default()),
        }
    }

    /// The same service, sending email through `transport`: with the settings a system
    /// administrator saved, or else with `configured` (the server's configuration).
    pub fn with_mail(
        mut self,
        transport: Arc<dyn MailTransport>,
        configured: Option<SmtpSettings>,
    ) -> Self {
        self.mail = Some(transport);
        self.default_smtp = configured;
        self
    }

    /// The settings in force.
    pub fn settings(&self) -> &ServiceSettings {
        &self.settings
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> CoreResult<()> {
        self.store.ping().await.map_err(CoreError::from)
    }

    /// Every consistency problem in the stored data (empty when all is well).
    pub async fn verify(&self) -> CoreResult<Vec<String>> {
        let mut tx = self.read().await?;
        Ok(tx.consistency_problems().await?)
    }

    /// Runs one write use case, again on transient conflicts (see [`retry_transient`]).
    async fn retrying<T, F, Fut>(&self, attempt: F) -> CoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = CoreResult<T>>,
    {
        retry_transient(attempt).await
    }

    async fn read(&self) -> CoreResult<Box<dyn StoreTx>> {
        Ok(self.store.read().await?)
    }

    async fn write(&self) -> CoreResult<Box<dyn StoreTx>> {
        Ok(self.store.write().await?)
    }
}

/// Runs `attempt` (which opens, fills and commits one write transaction) again when the
/// store reports a transient conflict, up to [`ATTEMPTS`] times with a short, growing,
/// jittered pause. Everything else, success or failure, is returned as it is.
async fn retry_transient<T, F, Fut>(mut attempt: F) -> CoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CoreResult<T>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(CoreError::Transient) if tries < ATTEMPTS => {
                let pause = 5 * u64::from(tries) + rand::random::<u64>() % 10;
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Writes one audit event for `ctx` in the transaction `tx`.
async fn audit(
    tx: &mut dyn StoreTx,
    ctx: &Ctx,
    tenant: Id,
    action: &str,
    target: Option<Id>,
    summary: serde_json::Value,
) -> CoreResult<()> {
    let event = audit_event(ctx, tenant, action, target, summary);
    Ok(tx.insert_audit(&event).await?)
}

/// The audit event of `action` by the caller of `ctx`, not stored yet.
fn audit_event(
    ctx: &Ctx,
    tenant: Id,
    action: &str,
    target: Option<Id>,
    summary: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        id: new_id(),
        time: now(),
        tenant,
        actor: ctx.actor.user,
        impersonator: ctx.actor.impersonator,
        action: action.to_string(),
        target,
        summary,
        request_id: ctx.request_id.clone(),
        address: ctx.address.clone(),
    }
}

/// Refuses a change when the caller's `If-Match` version is stale.
fn check_version(expected: Option<i64>, actual: i64) -> CoreResult<()> {
    match expected {
        Some(v) if v != actual => Err(CoreError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Maps a store's uniqueness failure to a specific conflict.
fn unique_as(code: &'static str, message: String) -> impl FnOnce(StoreError) -> CoreError {
    move |e| match e {
        StoreError::Unique(_) => CoreError::conflict(code, message),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test]
    async fn transient_conflicts_are_retried_then_reported() {
        let calls = Cell::new(0);
        let ok = retry_transient(|| async {
            calls.set(calls.get() + 1);
            if calls.get() < 3 {
                Err(CoreError::Transient)
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!((ok.ok(), calls.get()), (Some(7), 3));

        calls.set(0);
        let gave_up: CoreResult<()> = retry_transient(|| async {
            calls.set(calls.get() + 1);
            Err(CoreError::Transient)
        })
        .await;
        assert!(matches!(gave_up, Err(CoreError::Transient)));
        assert_eq!(calls.get(), ATTEMPTS);

        calls.set(0);
        let other: CoreResult<()> = retry_transient(|| async {
            calls.set(calls.get() + 1);
            Err(CoreError::PreconditionFailed)
        })
        .await;
        assert!(matches!(other, Err(CoreError::PreconditionFailed)));
        assert_eq!(calls.get(), 1, "only transient conflicts are retried");
    }
}
