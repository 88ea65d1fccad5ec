//! Settings of the install (system administrators): outgoing email, with a test email.
//! Each setting area is its own section of the page.

use crate::messages::{self, FormErrors};
use crate::render::{self, Message};
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

#[derive(Template)]
#[template(path = "settings/page.html")]
struct SettingsPage<'a> {
    csrf: &'a str,
    smtp_configured: bool,
    to: &'a str,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The page (the body alone for htmx), or a refusal in words.
async fn respond(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    to: &str,
    notice: Option<&str>,
    errors: FormErrors,
) -> Response {
    let smtp_configured = match s.service.outgoing_mail_configured(&who.ctx) {
        Ok(c) => c,
        Err(e) => {
            let text = messages::plain(&e);
            let body = render::text(&Message {
                heading: "Settings",
                text: &text,
                link: Some(("/users", "Back to users")),
            });
            return render::page(s, who, StatusCode::FORBIDDEN, "Settings", "settings", body).await;
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render::text(&SettingsPage {
        csrf: &who.csrf,
        smtp_configured,
        to,
        notice,
        errors: &errors,
    });
    if render::wants_fragment(headers) {
        render::fragment(status, body)
    } else {
        render::page(s, who, status, "Settings", "settings", body).await
    }
}

/// `GET /settings`.
pub async fn page(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    respond(&s, &who, &headers, "", None, FormErrors::none()).await
}

/// `POST /settings/smtp/test`: sends a test email (`Service::send_test_email`).
pub async fn smtp_test(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let to = form.get("to").unwrap_or_default();
    match s.service.send_test_email(&who.ctx, &to).await {
        Ok(()) => {
            let notice = format!("A test email went to {to}. If it does not arrive, check the mail server's log and the spam folder.");
            respond(&s, &who, &headers, &to, Some(&notice), FormErrors::none()).await
        }
        Err(roster_core::CoreError::Conflict {
            code: "smtp_not_configured",
            ..
        }) => {
            let errors = FormErrors::general(
                "Outgoing email is not configured: set smtp_url and smtp_from first.",
            );
            respond(&s, &who, &headers, &to, None, errors).await
        }
        Err(e) => {
            let errors = FormErrors::from_core(&e, &["to"]);
            respond(&s, &who, &headers, &to, None, errors).await
        }
    }
}
