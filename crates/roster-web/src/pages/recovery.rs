//! Pages reached without a session: "forgot password" (ask for a link, then choose a new
//! password twice) and the email verification link.

use super::signin::{after_login, anonymous_form, message};
use crate::messages::FormErrors;
use crate::render;
use crate::WebState;
use askama::Template;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::CoreError;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "signin/forgot.html")]
struct ForgotForm<'a> {
    login: &'a str,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/reset.html")]
struct ResetForm<'a> {
    token: &'a str,
    min: u32,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/verify_email.html")]
struct VerifyEmailForm<'a> {
    token: &'a str,
}

fn forgot_form(status: StatusCode, login: &str, errors: FormErrors) -> Response {
    let body = render::text(&ForgotForm { login, errors });
    render::public_page(status, "Forgot your password?", body)
}

/// `GET /forgot-password`.
pub async fn forgot_page() -> Response {
    forgot_form(StatusCode::OK, "", FormErrors::none())
}

/// `POST /forgot-password`: the same answer whether or not the account exists.
pub async fn forgot(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let login = form.get("login").unwrap_or_default();
    if login.trim().is_empty() {
        let mut errors = FormErrors::none();
        errors.add("login", "Fill this in.");
        return forgot_form(StatusCode::UNPROCESSABLE_ENTITY, &login, errors);
    }
    match s.service.request_password_reset(&ctx, &login).await {
        Ok(()) => message(
            StatusCode::OK,
            "Check your email",
            "If the account exists and has an email address, a link to choose a new \
             password is on its way. It works once, for 24 hours.",
            ("/login", "Back to sign in"),
        ),
        Err(CoreError::Conflict {
            code: "smtp_not_configured",
            ..
        }) => forgot_form(
            StatusCode::CONFLICT,
            &login,
            FormErrors::general(
                "roster cannot send email here, so it cannot send a reset link. Ask \
                     your administrator to set a new password for you.",
            ),
        ),
        Err(e) => forgot_form(
            StatusCode::SERVICE_UNAVAILABLE,
            &login,
            FormErrors::general(crate::messages::plain(&e)),
        ),
    }
}

async fn reset_form(s: &WebState, status: StatusCode, token: &str, errors: FormErrors) -> Response {
    let min = s
        .service
        .password_policy_for_link(token)
        .await
        .password_min_length;
    let body = render::text(&ResetForm { token, min, errors });
    render::public_page(status, "Choose a new password", body)
}

fn link_incomplete() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        "Link incomplete",
        "Open the whole link you were sent.",
        ("/login", "Sign in"),
    )
}

/// `GET /reset-password?token=…`: the page a reset link opens.
pub async fn reset_page(
    State(s): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("token").filter(|t| !t.is_empty()) {
        Some(t) => reset_form(&s, StatusCode::OK, t, FormErrors::none()).await,
        None => link_incomplete(),
    }
}

/// `POST /reset-password`: sets the new password (typed twice); the login goes on as after
/// a right password (second factor included).
pub async fn reset(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    let password = form.secret("password").unwrap_or_default();
    if form.secret("confirm") != Some(password.clone()) {
        let mut errors = FormErrors::none();
        errors.add("confirm", "The two passwords differ.");
        return reset_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await;
    }
    match s.service.reset_password(&ctx, &token, &password).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(
            e @ CoreError::Invalid {
                code: "invalid_token",
                ..
            },
        ) => message(
            StatusCode::GONE,
            "Link used or expired",
            &crate::messages::plain(&e),
            ("/forgot-password", "Ask for a new link"),
        ),
        Err(e) => {
            let errors = FormErrors::from_core(&e, &["password"]);
            reset_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await
        }
    }
}

/// `GET /verify-email?token=…`: asks to confirm (a link preview or mail scanner that opens
/// the link confirms nothing).
pub async fn verify_page(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("token").filter(|t| !t.is_empty()) {
        Some(token) => {
            let body = render::text(&VerifyEmailForm { token });
            render::public_page(StatusCode::OK, "Confirm your email address", body)
        }
        None => link_incomplete(),
    }
}

/// `POST /verify-email`: marks the address verified.
pub async fn verify(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    match s.service.verify_email(&ctx, &token).await {
        Ok(user) => message(
            StatusCode::OK,
            "Email address confirmed",
            &format!(
                "{} is now the verified email address of your account.",
                user.email.unwrap_or_default()
            ),
            ("/", "Go to roster"),
        ),
        Err(e) => message(
            StatusCode::GONE,
            "Link used or expired",
            &crate::messages::plain(&e),
            ("/", "Go to roster"),
        ),
    }
}
