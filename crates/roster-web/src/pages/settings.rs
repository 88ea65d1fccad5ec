//! Settings: outgoing email (system administrators: saved SMTP settings, forgetting them, a
//! test email) and the password and sign-in policy (of the install for system
//! administrators, of a tenant for its administrators). Each area is a section of the page,
//! shown to whoever may read it.

use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render::{self, Message};
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use roster_core::mail::SmtpSecurity;
use roster_core::model::OrgKind;
use roster_core::page::PageReq;
use roster_core::policy::{Policy, SecondFactorRule};
use roster_core::service::{OrgFilter, PolicyChange, SmtpSource, SmtpView, UpdateSmtp};
use roster_core::{CoreError, Id, SYSTEM_NODE_ID};
use std::collections::HashMap;

/// Most tenants a system administrator picks a policy from.
const TENANT_CHOICES: u32 = 200;

#[derive(Template)]
#[template(path = "settings/page.html")]
struct SettingsPage<'a> {
    csrf: &'a str,
    smtp: Option<SmtpForm>,
    to: &'a str,
    policy: Option<PolicyForm>,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The outgoing-email section as shown.
struct SmtpForm {
    source: &'static str,
    saved: bool,
    host: String,
    port: String,
    security: &'static str,
    username: String,
    password_set: bool,
    from: String,
}

/// The policy section as shown.
struct PolicyForm {
    /// The node whose policy it is (the system root, or a tenant).
    node: Id,
    /// The choices of node: (id, name), for system administrators.
    nodes: Vec<(Id, String)>,
    min_length: u32,
    classes: u8,
    refuse_common: bool,
    second_factor: &'static str,
}

fn security_name(s: SmtpSecurity) -> &'static str {
    match s {
        SmtpSecurity::None => "none",
        SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
    }
}

fn rule_name(r: SecondFactorRule) -> &'static str {
    match r {
        SecondFactorRule::None => "none",
        SecondFactorRule::Administrators => "administrators",
        SecondFactorRule::Everyone => "everyone",
    }
}

impl SmtpForm {
    fn of(view: SmtpView) -> SmtpForm {
        let source = match view.source {
            Some(SmtpSource::Settings) => "settings",
            Some(SmtpSource::Configuration) => "configuration",
            None => "none",
        };
        match view.settings {
            Some(s) => SmtpForm {
                source,
                saved: view.source == Some(SmtpSource::Settings),
                host: s.host,
                port: s.port.to_string(),
                security: security_name(s.security),
                username: s.username.unwrap_or_default(),
                password_set: s.password.is_some(),
                from: s.from,
            },
            None => SmtpForm {
                source,
                saved: false,
                host: String::new(),
                port: "587".into(),
                security: "starttls",
                username: String::new(),
                password_set: false,
                from: String::new(),
            },
        }
    }

    /// The form as typed (after an error), keeping what the saved settings say of the rest.
    fn typed(form: &FormData, saved: SmtpForm) -> SmtpForm {
        SmtpForm {
            host: form.get("host").unwrap_or_default(),
            port: form.get("port").unwrap_or_default(),
            security: match form.get("security").as_deref() {
                Some("none") => "none",
                Some("tls") => "tls",
                _ => "starttls",
            },
            username: form.get("username").unwrap_or_default(),
            from: form.get("from").unwrap_or_default(),
            ..saved
        }
    }
}

/// The node whose policy the page shows: the one asked for, else the install's for a system
/// administrator and the caller's own tenant for anyone else.
fn policy_node(who: &Signed, asked: Option<Id>) -> Id {
    asked.unwrap_or(if who.ctx.actor.system_admin {
        SYSTEM_NODE_ID
    } else {
        who.ctx.actor.tenant
    })
}

async fn policy_form(s: &WebState, who: &Signed, node: Id) -> Option<PolicyForm> {
    let policy: Policy = s.service.policy(&who.ctx, node).await.ok()?;
    let mut nodes = Vec::new();
    if who.ctx.actor.system_admin {
        nodes.push((
            SYSTEM_NODE_ID,
            "System administrators (the install)".to_string(),
        ));
        let page = PageReq {
            after: None,
            limit: TENANT_CHOICES,
        };
        if let Ok(tenants) = s
            .service
            .list_org_nodes(&who.ctx, OrgKind::Tenant, &OrgFilter::default(), page)
            .await
        {
            nodes.extend(tenants.items.into_iter().map(|t| (t.id, t.name)));
        }
    }
    Some(PolicyForm {
        node,
        nodes,
        min_length: policy.password_min_length,
        classes: policy.password_character_classes,
        refuse_common: policy.password_refuse_common,
        second_factor: rule_name(policy.second_factor),
    })
}

/// What a response shows besides the sections read fresh.
struct Shown<'a> {
    to: &'a str,
    smtp: Option<SmtpForm>,
    policy_node: Id,
    notice: Option<&'a str>,
    errors: FormErrors,
}

/// The page (the body alone for htmx), or a refusal in words when the caller may read no
/// section.
async fn respond(s: &WebState, who: &Signed, headers: &HeaderMap, shown: Shown<'_>) -> Response {
    let smtp = match shown.smtp {
        Some(f) => Some(f),
        None => s
            .service
            .smtp_settings(&who.ctx)
            .await
            .ok()
            .map(SmtpForm::of),
    };
    let policy = policy_form(s, who, shown.policy_node).await;
    if smtp.is_none() && policy.is_none() {
        let body = render::text(&Message {
            heading: "Settings",
            text: "You are not allowed to see any settings here.",
            link: Some(("/users", "Back to users")),
        });
        return render::page(s, who, StatusCode::FORBIDDEN, "Settings", "settings", body).await;
    }
    let status = if shown.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render::text(&SettingsPage {
        csrf: &who.csrf,
        smtp,
        to: shown.to,
        policy,
        notice: shown.notice,
        errors: &shown.errors,
    });
    if render::wants_fragment(headers) {
        render::fragment(status, body)
    } else {
        render::page(s, who, status, "Settings", "settings", body).await
    }
}

fn plain_page(node: Id) -> Shown<'static> {
    Shown {
        to: "",
        smtp: None,
        policy_node: node,
        notice: None,
        errors: FormErrors::none(),
    }
}

/// `GET /settings?policy=ID`.
pub async fn page(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let asked = q.get("policy").and_then(|v| v.parse().ok());
    let node = policy_node(&who, asked);
    respond(&s, &who, &headers, plain_page(node)).await
}

/// `POST /settings/smtp/test`: sends a test email (`Service::send_test_email`).
pub async fn smtp_test(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let to = form.get("to").unwrap_or_default();
    let node = policy_node(&who, None);
    let (notice, errors) = match s.service.send_test_email(&who.ctx, &to).await {
        Ok(()) => (
            Some(format!(
                "A test email went to {to}. If it does not arrive, check the mail server's log \
                 and the spam folder."
            )),
            FormErrors::none(),
        ),
        Err(CoreError::Conflict {
            code: "smtp_not_configured",
            ..
        }) => (
            None,
            FormErrors::general("Outgoing email is not configured: save the settings first."),
        ),
        Err(e) => (None, FormErrors::from_core(&e, &["to"])),
    };
    let shown = Shown {
        to: &to,
        notice: notice.as_deref(),
        errors,
        ..plain_page(node)
    };
    respond(&s, &who, &headers, shown).await
}

/// `POST /settings/smtp`: saves the outgoing-email settings; a blank password keeps the
/// saved one.
pub async fn smtp_save(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let node = policy_node(&who, None);
    let port = form.get("port").unwrap_or_default();
    let Ok(port) = port.trim().parse::<u16>() else {
        let mut errors = FormErrors::none();
        errors.add("port", "Type a port number from 1 to 65535.");
        let saved = s.service.smtp_settings(&who.ctx).await.map(SmtpForm::of);
        let shown = Shown {
            smtp: saved.ok().map(|f| SmtpForm::typed(&form, f)),
            errors,
            ..plain_page(node)
        };
        return respond(&s, &who, &headers, shown).await;
    };
    let security = match form.get("security").as_deref() {
        Some("none") => SmtpSecurity::None,
        Some("tls") => SmtpSecurity::Tls,
        _ => SmtpSecurity::Starttls,
    };
    let input = UpdateSmtp {
        host: form.get("host").unwrap_or_default(),
        port,
        security,
        username: form.get("username"),
        password: form.secret("password").filter(|p| !p.is_empty()),
        from: form.get("from").unwrap_or_default(),
    };
    match s.service.update_smtp_settings(&who.ctx, input).await {
        Ok(view) => {
            let shown = Shown {
                smtp: Some(SmtpForm::of(view)),
                notice: Some("Outgoing email settings saved. Send a test email to check them."),
                ..plain_page(node)
            };
            respond(&s, &who, &headers, shown).await
        }
        Err(e) => {
            let errors =
                FormErrors::from_core(&e, &["host", "port", "username", "password", "from"]);
            let saved = s.service.smtp_settings(&who.ctx).await.map(SmtpForm::of);
            let shown = Shown {
                smtp: saved.ok().map(|f| SmtpForm::typed(&form, f)),
                errors,
                ..plain_page(node)
            };
            respond(&s, &who, &headers, shown).await
        }
    }
}

/// `POST /settings/smtp/clear`: forgets the saved settings (the configuration applies).
pub async fn smtp_clear(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let node = policy_node(&who, None);
    let shown = match s.service.clear_smtp_settings(&who.ctx).await {
        Ok(_) => Shown {
            notice: Some("The saved outgoing email settings are forgotten."),
            ..plain_page(node)
        },
        Err(e) => Shown {
            errors: FormErrors::general(messages::plain(&e)),
            ..plain_page(node)
        },
    };
    respond(&s, &who, &headers, shown).await
}

/// `POST /settings/policy`: saves the policy of the install or a tenant.
pub async fn policy_save(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let node = policy_node(&who, form.id("node"));
    let mut errors = FormErrors::none();
    let min = form.get("password_min_length").unwrap_or_default();
    let min = match min.trim().parse::<u32>() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.add("password_min_length", "Type a number from 8 to 256.");
            None
        }
    };
    if !errors.is_empty() {
        let shown = Shown {
            errors,
            ..plain_page(node)
        };
        return respond(&s, &who, &headers, shown).await;
    }
    let change = PolicyChange {
        password_min_length: min,
        password_character_classes: form
            .get("password_character_classes")
            .and_then(|v| v.parse().ok()),
        password_refuse_common: Some(form.ticked("password_refuse_common")),
        second_factor: match form.get("second_factor").as_deref() {
            Some("administrators") => Some(SecondFactorRule::Administrators),
            Some("everyone") => Some(SecondFactorRule::Everyone),
            _ => Some(SecondFactorRule::None),
        },
    };
    let shown = match s.service.update_policy(&who.ctx, node, change).await {
        Ok(_) => Shown {
            notice: Some(
                "Policy saved. It applies to passwords set from now on and to the next sign-in.",
            ),
            ..plain_page(node)
        },
        Err(e) => Shown {
            errors: FormErrors::from_core(
                &e,
                &["password_min_length", "password_character_classes"],
            ),
            ..plain_page(node)
        },
    };
    respond(&s, &who, &headers, shown).await
}
