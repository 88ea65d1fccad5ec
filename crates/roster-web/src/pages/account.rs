//! My account: the signed-in user's profile, password, authenticator app (QR code, first
//! code, recovery codes shown once), sessions and API tokens.

use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{self, Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use roster_core::model::User;
use roster_core::service::UpdateUser;
use roster_core::{CoreError, Timestamp};

/// The start of the QR code image's `data:` URL.
const QR_PREFIX: &str = "data:image/svg+xml;base64,";

/// An authenticator being set up: its secret (for typing in) and its QR code.
#[derive(Debug, Default)]
struct Enrolling {
    secret: String,
    qr: String,
}

/// One of the caller's sessions.
struct SessionRow {
    id: String,
    current: bool,
    started: String,
    last_used: String,
}

/// One of the caller's API tokens.
struct TokenRow {
    id: String,
    name: String,
    created: String,
    expires: String,
}

/// What the page shows besides what is stored: a notice, errors, forms as typed, and the
/// secrets shown once.
#[derive(Debug, Default)]
struct View {
    notice: Option<String>,
    errors: FormErrors,
    profile: Option<(String, String, String)>,
    enrolling: Option<Enrolling>,
    recovery_codes: Vec<String>,
    new_token: Option<String>,
    token_name: String,
    token_expiry: String,
}

impl View {
    fn notice(text: impl Into<String>) -> View {
        View {
            notice: Some(text.into()),
            ..View::default()
        }
    }

    fn error(e: &CoreError, fields: &[&str]) -> View {
        View {
            errors: FormErrors::from_core(e, fields),
            ..View::default()
        }
    }
}

#[derive(Template)]
#[template(path = "account/page.html")]
struct AccountPage<'a> {
    csrf: &'a str,
    user: &'a User,
    first_name: String,
    last_name: String,
    phone: String,
    v: &'a View,
    impersonating: bool,
    totp_on: bool,
    email_codes_on: bool,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
}

fn when(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The page body, rendered.
async fn render_body(s: &WebState, who: &Signed, v: &View) -> Result<String, String> {
    let user = s
        .service
        .me(&who.ctx)
        .await
        .map_err(|e| messages::plain(&e))?;
    let (first_name, last_name, phone) = v.profile.clone().unwrap_or_else(|| {
        (
            user.first_name.clone().unwrap_or_default(),
            user.last_name.clone().unwrap_or_default(),
            user.phone.clone().unwrap_or_default(),
        )
    });
    let factors = s
        .service
        .second_factors(&who.ctx, user.id)
        .await
        .unwrap_or_default();
    let sessions = s
        .service
        .list_sessions(&who.ctx, user.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| SessionRow {
            id: t.id.to_string(),
            current: who.ctx.actor.token == Some(t.id),
            started: when(t.created_at),
            last_used: when(t.last_used_at),
        })
        .collect();
    let tokens = s
        .service
        .list_api_tokens(&who.ctx)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name.unwrap_or_default(),
            created: when(t.created_at),
            expires: when(t.expires_at),
        })
        .collect();
    Ok(render::text(&AccountPage {
        csrf: &who.csrf,
        user: &user,
        first_name,
        last_name,
        phone,
        v,
        impersonating: who.ctx.actor.impersonator.is_some(),
        totp_on: factors.authenticator,
        email_codes_on: factors.email_codes,
        sessions,
        tokens,
    }))
}

/// The page as the answer: the body for htmx, the whole page otherwise.
async fn respond(s: &WebState, who: &Signed, headers: &HeaderMap, v: View) -> Response {
    let status = if v.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = match render_body(s, who, &v).await {
        Ok(b) => b,
        Err(text) => super::user_details::pane_message(&text),
    };
    if render::wants_fragment(headers) {
        render::fragment(status, body)
    } else {
        render::page(s, who, status, "My account", "account", body).await
    }
}

/// `GET /account` (`?done=password|session` after a change that redirected here).
pub async fn page(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let done = FormData::parse(q.unwrap_or_default().as_bytes()).get("done");
    let v = match done.as_deref() {
        Some("password") => View::notice("Password changed. Your other sessions ended."),
        Some("session") => View::notice("Session ended."),
        _ => View::default(),
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/profile`: own names and phone.
pub async fn profile(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let typed = (
        form.get("first_name").unwrap_or_default(),
        form.get("last_name").unwrap_or_default(),
        form.get("phone").unwrap_or_default(),
    );
    let optional = |v: &str| Some(Some(v.to_string()).filter(|v| !v.is_empty()));
    let change = UpdateUser {
        first_name: optional(&typed.0),
        last_name: optional(&typed.1),
        phone: optional(&typed.2),
        ..UpdateUser::default()
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    let result = match who.ctx.actor.user {
        Some(me) => s.service.update_user(&who.ctx, me, change, version).await,
        None => Err(CoreError::not_found("user")),
    };
    let v = match result {
        Ok(_) => View::notice("Profile saved."),
        Err(e) => View {
            profile: Some(typed),
            ..View::error(&e, &["first_name", "last_name", "phone"])
        },
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/password`: the current password and the new one twice. Every session ends
/// and this browser gets the new one, so the page reloads whole.
pub async fn password(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let current = form.secret("current_password").unwrap_or_default();
    let new = form.secret("new_password").unwrap_or_default();
    if form.secret("confirm").as_deref() != Some(new.as_str()) {
        let mut errors = FormErrors::none();
        errors.add("confirm", "The two passwords differ.");
        let v = View {
            errors,
            ..View::default()
        };
        return respond(&s, &who, &headers, v).await;
    }
    match s
        .service
        .change_own_password(&who.ctx, &current, &new)
        .await
    {
        Ok(out) => {
            let to = "/account?done=password";
            let res = if session::is_htmx(&headers) {
                ([("hx-redirect", to)], StatusCode::OK).into_response()
            } else {
                Redirect::to(to).into_response()
            };
            session::with_cookies(res, session::session_cookies(&s, &out))
        }
        Err(e) => {
            let errors = FormErrors::from_core_renamed(
                &e,
                &["current_password", "new_password"],
                &[("password", "new_password")],
            );
            let v = View {
                errors,
                ..View::default()
            };
            respond(&s, &who, &headers, v).await
        }
    }
}

/// `POST /account/totp`: starts setting up an authenticator app: its QR code and secret.
pub async fn enroll_totp(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let v = match s.service.enroll_totp(&who.ctx).await {
        Ok(e) => View {
            enrolling: Some(Enrolling {
                qr: format!(
                    "{QR_PREFIX}{}",
                    base64::engine::general_purpose::STANDARD.encode(e.qr_svg)
                ),
                secret: e.secret,
            }),
            ..View::default()
        },
        Err(e) => View::error(&e, &[]),
    };
    respond(&s, &who, &headers, v).await
}

/// The enrolment a confirmation form carries back, so a wrong code can be typed again
/// without scanning a new QR code; anything but a base64 SVG `data:` URL is dropped.
fn carried_enrolment(form: &FormData) -> Option<Enrolling> {
    let qr = form.get("qr")?;
    let body = qr.strip_prefix(QR_PREFIX)?;
    let clean = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    clean.then(|| Enrolling {
        secret: form.get("secret").unwrap_or_default(),
        qr,
    })
}

/// `POST /account/totp/confirm`: the first code; answers the ten recovery codes, once.
pub async fn confirm_totp(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let code = form.get("code").unwrap_or_default();
    let v = match s.service.confirm_totp(&who.ctx, &code).await {
        Ok(codes) => View {
            recovery_codes: codes,
            notice: Some("Your authenticator app is set up: sign-in now asks for its code.".into()),
            ..View::default()
        },
        Err(e) => View {
            enrolling: carried_enrolment(&form),
            ..View::error(&e, &["code"])
        },
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/totp/remove`: removes the authenticator app and recovery codes.
pub async fn remove_totp(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let v = match s.service.remove_own_totp(&who.ctx).await {
        Ok(()) => View::notice("Authenticator removed: sign-in asks for your password only."),
        Err(e) => View::error(&e, &[]),
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/sessions/end`: ends one of the caller's sessions; ending this one signs
/// the browser out.
pub async fn end_session(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let Some(session_id) = form.id("session") else {
        return respond(&s, &who, &headers, View::default()).await;
    };
    if let Err(e) = s.service.end_own_session(&who.ctx, session_id).await {
        return respond(&s, &who, &headers, View::error(&e, &[])).await;
    }
    if who.ctx.actor.token == Some(session_id) {
        let res = if session::is_htmx(&headers) {
            ([("hx-redirect", "/login")], StatusCode::OK).into_response()
        } else {
            Redirect::to("/login").into_response()
        };
        return session::with_cookies(res, session::cleared_cookies());
    }
    respond(&s, &who, &headers, View::notice("Session ended.")).await
}

/// The expiry typed as a day (`YYYY-MM-DD`, UTC midnight), or `None` when blank.
fn expiry(typed: &str) -> Result<Option<Timestamp>, CoreError> {
    if typed.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| CoreError::invalid("invalid_expiry", "expires_at", "not a day"))
}

/// `POST /account/tokens`: a named API token; its secret is shown this once.
pub async fn create_token(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("token_name").unwrap_or_default();
    let typed_expiry = form.get("expires_at").unwrap_or_default();
    let made = match expiry(&typed_expiry) {
        Ok(at) => s.service.create_api_token(&who.ctx, &name, at).await,
        Err(e) => Err(e),
    };
    let v = match made {
        Ok(t) => View {
            notice: Some(format!(
                "Token {} made. Copy it now: it is not shown again.",
                t.record.name.unwrap_or_default()
            )),
            new_token: Some(t.token),
            ..View::default()
        },
        Err(e) => View {
            token_name: name,
            token_expiry: typed_expiry,
            errors: FormErrors::from_core_renamed(
                &e,
                &["token_name", "expires_at"],
                &[("name", "token_name")],
            ),
            ..View::default()
        },
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/tokens/revoke`: revokes one of the caller's API tokens.
pub async fn revoke_token(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = match form.id("token") {
        None => View::default(),
        Some(id) => match s.service.revoke_api_token(&who.ctx, id).await {
            Ok(()) => View::notice("Token revoked: programs using it are refused from now on."),
            Err(e) => View::error(&e, &[]),
        },
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/email/verify`: mails a link that verifies the account's address.
pub async fn send_verification(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let v = match s.service.send_email_verification(&who.ctx).await {
        Ok(to) => View::notice(format!(
            "A link to confirm your address went to {to}. Open it to finish."
        )),
        Err(e) => View::error(&e, &[]),
    };
    respond(&s, &who, &headers, v).await
}

/// `POST /account/email-codes`: turns sign-in codes by email on (`on`) or off.
pub async fn email_codes(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let on = form.get("on").as_deref() == Some("true");
    let done = if on {
        s.service.enable_email_codes(&who.ctx).await
    } else {
        s.service.disable_email_codes(&who.ctx).await
    };
    let v = match done {
        Ok(()) if on => View::notice("Sign-in now asks for a code we email you."),
        Ok(()) => View::notice("Sign-in codes by email are off."),
        Err(e) => View::error(&e, &[]),
    };
    respond(&s, &who, &headers, v).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_base64_svg_data_url_is_carried_back() {
        let form = |qr: &str| FormData::parse(format!("secret=ABC&qr={qr}").as_bytes());
        let good = form("data%3Aimage%2Fsvg%2Bxml%3Bbase64%2CPHN2Zz4%3D");
        assert_eq!(carried_enrolment(&good).unwrap().secret, "ABC");
        assert!(carried_enrolment(&form("javascript%3Aalert(1)")).is_none());
        let sneaky = form("data%3Aimage%2Fsvg%2Bxml%3Bbase64%2C%22%3E%3Cscript%3E");
        assert!(carried_enrolment(&sneaky).is_none());
    }

    #[test]
    fn token_expiry_is_a_utc_day() {
        let t = expiry("2030-05-01").unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2030-05-01T00:00:00+00:00");
        assert!(expiry("").unwrap().is_none());
        assert!(expiry("next week").is_err());
    }
}
