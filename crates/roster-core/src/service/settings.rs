//! Settings kept in the database, so that every node sees the same: outgoing email
//! (install-wide) and the password and second-factor policy (per tenant, and the install's
//! own for system administrators).

use super::{audit, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id, SYSTEM_NODE_ID};
use crate::mail::{MailTransport, SmtpSecurity, SmtpSettings};
use crate::model::{OrgKind, Setting};
use crate::policy::{PersonalWords, Policy, SecondFactorRule};
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::json;
use std::sync::Arc;

/// The name of the outgoing-email settings document (under the system root).
const SMTP: &str = "smtp";
/// The name of a tenant's (or the install's) policy document.
pub(super) const POLICY: &str = "policy";
/// Longest host name (RFC 1035).
const MAX_HOST: usize = 253;

/// Where the outgoing-email settings in force come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSource {
    /// Saved by a system administrator (the database); they win over the configuration.
    Settings,
    /// The server's configuration (`smtp_url`, `smtp_from`).
    Configuration,
}

/// The outgoing-email settings in force, if any, and where they come from.
#[derive(Debug, Clone)]
pub struct SmtpView {
    /// Where they come from; `None` when email is not configured.
    pub source: Option<SmtpSource>,
    /// The settings (the caller shows whether a password is set, never the password).
    pub settings: Option<SmtpSettings>,
}

/// New outgoing-email settings. A missing password keeps the saved one (for the same
/// username); a missing username means no SMTP authentication.
#[derive(Debug, Clone)]
pub struct UpdateSmtp {
    /// Mail server host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// SMTP login, if the server wants one.
    pub username: Option<String>,
    /// Its password; `None` keeps the saved one.
    pub password: Option<String>,
    /// The sender, `address` or `Name <address>`.
    pub from: String,
}

/// Changes to a policy; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    /// Minimum password length.
    pub password_min_length: Option<u32>,
    /// Character kinds a password must use.
    pub password_character_classes: Option<u8>,
    /// Whether common and easily guessed passwords are refused.
    pub password_refuse_common: Option<bool>,
    /// Who must use a second factor.
    pub second_factor: Option<SecondFactorRule>,
}

/// A sender address, `address` or `Name <address>`, with the address checked.
fn mailbox(from: &str) -> CoreResult<String> {
    let from = from.trim();
    let address = match (from.rfind('<'), from.ends_with('>')) {
        (Some(open), true) => &from[open + 1..from.len() - 1],
        (None, false) => from,
        _ => {
            return Err(CoreError::invalid(
                "invalid_email",
                "from",
                "from must be an address or Name <address>",
            ))
        }
    };
    validate::email(address).map_err(|_| {
        CoreError::invalid(
            "invalid_email",
            "from",
            "from must be an address or Name <address>",
        )
    })?;
    if from.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "invalid_characters",
            "from",
            "from must not contain control characters",
        ));
    }
    Ok(from.to_string())
}

/// A mail server host name or address.
fn host(host: &str) -> CoreResult<String> {
    let h = host.trim();
    if h.is_empty() || h.len() > MAX_HOST || h.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CoreError::invalid(
            "invalid_host",
            "host",
            "host must be a host name or address",
        ));
    }
    Ok(h.to_string())
}

impl Service {
    /// The outgoing-email settings in force (`settings:read` on the install).
    pub async fn smtp_settings(&self, ctx: &Ctx) -> CoreResult<SmtpView> {
        self.require(ctx, "settings", "read", SYSTEM_NODE_ID)?;
        let mut tx = self.read().await?;
        let saved = saved_smtp(tx.as_mut()).await?;
        Ok(self.smtp_view(saved))
    }

    fn smtp_view(&self, saved: Option<SmtpSettings>) -> SmtpView {
        match (saved, &self.default_smtp) {
            (Some(s), _) => SmtpView {
                source: Some(SmtpSource::Settings),
                settings: Some(s),
            },
            (None, Some(c)) => SmtpView {
                source: Some(SmtpSource::Configuration),
                settings: Some(c.clone()),
            },
            (None, None) => SmtpView {
                source: None,
                settings: None,
            },
        }
    }

    /// Saves outgoing-email settings (`settings:update` on the install); they win over the
    /// server's configuration from now on, on every node.
    pub async fn update_smtp_settings(&self, ctx: &Ctx, input: UpdateSmtp) -> CoreResult<SmtpView> {
        self.retrying(|| self.update_smtp_settings_once(ctx, &input))
            .await
    }

    async fn update_smtp_settings_once(
        &self,
        ctx: &Ctx,
        input: &UpdateSmtp,
    ) -> CoreResult<SmtpView> {
        self.require(ctx, "settings", "update", SYSTEM_NODE_ID)?;
        let host = host(&input.host)?;
        if input.port == 0 {
            return Err(CoreError::invalid(
                "out_of_range",
                "port",
                "port must be between 1 and 65535",
            ));
        }
        let from = mailbox(&input.from)?;
        let username = validate::optional_name("username", input.username.as_deref())?;
        if let Some(p) = &input.password {
            if p.is_empty() || p.len() > 1024 || p.contains('\0') {
                return Err(CoreError::invalid(
                    "invalid_password",
                    "password",
                    "the SMTP password must be 1 to 1024 bytes without NUL",
                ));
            }
        }
        let mut tx = self.write().await?;
        let saved = saved_smtp(tx.as_mut()).await?;
        let password = match (&username, &input.password) {
            (None, _) => None,
            (Some(_), Some(p)) => Some(p.clone()),
            (Some(u), None) => saved
                .filter(|s| s.username.as_ref() == Some(u))
                .and_then(|s| s.password),
        };
        let settings = SmtpSettings {
            host,
            port: input.port,
            security: input.security,
            username,
            password,
            from,
        };
        let value = serde_json::to_string(&settings)
            .map_err(|e| CoreError::Internal(format!("SMTP settings as JSON: {e}")))?;
        tx.put_setting(&Setting {
            scope: SYSTEM_NODE_ID,
            name: SMTP.into(),
            value,
            updated_at: now(),
        })
        .await?;
        audit(
            tx.as_mut(),
            ctx,
            SYSTEM_NODE_ID,
            "settings.smtp_update",
            None,
            json!({"host": settings.host, "port": settings.port,
                   "security": settings.security, "username": settings.username,
                   "password_changed": input.password.is_some(),
                   "password_set": settings.password.is_some(), "from": settings.from}),
        )
        .await?;
        tx.commit().await?;
        Ok(self.smtp_view(Some(settings)))
    }

    /// Forgets the saved outgoing-email settings (`settings:update` on the install): the
    /// server's configuration applies again, if it has any.
    pub async fn clear_smtp_settings(&self, ctx: &Ctx) -> CoreResult<SmtpView> {
        self.retrying(|| async {
            self.require(ctx, "settings", "update", SYSTEM_NODE_ID)?;
            let mut tx = self.write().await?;
            if tx.delete_setting(SYSTEM_NODE_ID, SMTP).await? {
                audit(
                    tx.as_mut(),
                    ctx,
                    SYSTEM_NODE_ID,
                    "settings.smtp_clear",
                    None,
                    json!({}),
                )
                .await?;
            }
            tx.commit().await?;
            Ok(self.smtp_view(None))
        })
        .await
    }

    /// The transport and the settings in force, or the refusal every email-sending choice
    /// gets while none are configured.
    pub(super) async fn mail_route(&self) -> CoreResult<(Arc<dyn MailTransport>, SmtpSettings)> {
        let not_configured = || {
            CoreError::conflict(
                "smtp_not_configured",
                "outgoing email is not configured (Settings, or ROSTER_SMTP_URL and \
                 ROSTER_SMTP_FROM); display the link and pass it on instead",
            )
        };
        let transport = self.mail.clone().ok_or_else(not_configured)?;
        let saved = {
            let mut tx = self.read().await?;
            saved_smtp(tx.as_mut()).await?
        };
        let settings = self.smtp_view(saved).settings.ok_or_else(not_configured)?;
        Ok((transport, settings))
    }

    /// The policy of a tenant, or the install's own for the system root (`settings:read`
    /// there). Customers follow their tenant's policy.
    pub async fn policy(&self, ctx: &Ctx, node: Id) -> CoreResult<Policy> {
        let mut tx = self.read().await?;
        self.policy_node(tx.as_mut(), ctx, node).await?;
        self.require(ctx, "settings", "read", node)?;
        policy_of(tx.as_mut(), node).await
    }

    /// Changes the policy of a tenant or of the install (`settings:update` there). It applies
    /// to passwords set from now on and to the next sign-in.
    pub async fn update_policy(
        &self,
        ctx: &Ctx,
        node: Id,
        change: PolicyChange,
    ) -> CoreResult<Policy> {
        self.retrying(|| self.update_policy_once(ctx, node, &change))
            .await
    }

    async fn update_policy_once(
        &self,
        ctx: &Ctx,
        node: Id,
        change: &PolicyChange,
    ) -> CoreResult<Policy> {
        let mut tx = self.write().await?;
        let tenant = self.policy_node(tx.as_mut(), ctx, node).await?;
        self.require(ctx, "settings", "update", node)?;
        let before = policy_of(tx.as_mut(), node).await?;
        let mut after = before.clone();
        if let Some(v) = change.password_min_length {
            after.password_min_length = v;
        }
        if let Some(v) = change.password_character_classes {
            after.password_character_classes = v;
        }
        if let Some(v) = change.password_refuse_common {
            after.password_refuse_common = v;
        }
        if let Some(v) = change.second_factor {
            after.second_factor = v;
        }
        after.validate()?;
        let value = serde_json::to_string(&after)
            .map_err(|e| CoreError::Internal(format!("policy as JSON: {e}")))?;
        tx.put_setting(&Setting {
            scope: node,
            name: POLICY.into(),
            value,
            updated_at: now(),
        })
        .await?;
        audit(
            tx.as_mut(),
            ctx,
            tenant,
            "settings.policy_update",
            Some(node),
            json!({"before": before, "after": after}),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Checks that `node` is a tenant or the system root the caller may see; its tenant.
    async fn policy_node(&self, tx: &mut dyn StoreTx, ctx: &Ctx, node: Id) -> CoreResult<Id> {
        let scope = if ctx.actor.system_admin {
            TenantScope::All
        } else {
            TenantScope::Tenant(ctx.actor.tenant)
        };
        let found = tx
            .get_org_node(scope, node)
            .await?
            .filter(|n| matches!(n.kind, OrgKind::Tenant | OrgKind::System))
            .filter(|n| n.kind != OrgKind::System || ctx.actor.system_admin)
            .ok_or_else(|| CoreError::not_found("tenant"))?;
        if !self.may(ctx, "settings", "read", found.id) {
            return Err(CoreError::not_found("tenant"));
        }
        Ok(found.tenant)
    }

    /// Checks a new password against the policy of the account's tenant, off the async
    /// runtime (the guessability estimate takes milliseconds).
    pub(super) async fn check_new_password(
        &self,
        tx: &mut dyn StoreTx,
        tenant: Id,
        password: &str,
        personal: PersonalWords<'_>,
    ) -> CoreResult<()> {
        let policy = policy_of(tx, tenant).await?;
        check_off_runtime(policy, password, personal).await
    }
}

/// Runs a policy's password check on the blocking pool.
pub(super) async fn check_off_runtime(
    policy: Policy,
    password: &str,
    personal: PersonalWords<'_>,
) -> CoreResult<()> {
    let password = password.to_string();
    let words: [Option<String>; 4] = [
        Some(personal.login.to_string()),
        personal.email.map(str::to_string),
        personal.first_name.map(str::to_string),
        personal.last_name.map(str::to_string),
    ];
    tokio::task::spawn_blocking(move || {
        let [login, email, first, last] = &words;
        policy.check_password(
            &password,
            &PersonalWords {
                login: login.as_deref().unwrap_or_default(),
                email: email.as_deref(),
                first_name: first.as_deref(),
                last_name: last.as_deref(),
            },
        )
    })
    .await
    .map_err(|e| CoreError::Internal(format!("password check: {e}")))?
}

/// The saved outgoing-email settings, if any.
async fn saved_smtp(tx: &mut dyn StoreTx) -> CoreResult<Option<SmtpSettings>> {
    match tx.get_setting(SYSTEM_NODE_ID, SMTP).await? {
        Some(s) => serde_json::from_str(&s.value)
            .map(Some)
            .map_err(|e| CoreError::Internal(format!("saved SMTP settings unreadable: {e}"))),
        None => Ok(None),
    }
}

/// The policy saved for a tenant (or the system root), or the default.
pub(super) async fn policy_of(tx: &mut dyn StoreTx, tenant: Id) -> CoreResult<Policy> {
    let saved = tx.get_setting(tenant, POLICY).await?;
    parse_policy(saved.as_ref().map(|s| s.value.as_str()))
}

/// A saved policy document read, or the default when none is saved.
pub(super) fn parse_policy(saved: Option<&str>) -> CoreResult<Policy> {
    match saved {
        Some(value) => serde_json::from_str(value)
            .map_err(|e| CoreError::Internal(format!("saved policy unreadable: {e}"))),
        None => Ok(Policy::default()),
    }
}
