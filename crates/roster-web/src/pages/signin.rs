//! Signing in and out: the sign-in form, the forced password change a login may ask for,
//! and the activation page of a one-time link (enter the password twice).

use super::factor;
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render::{self, Message};
use crate::session::{self, Signed, SignedForm, LOGIN_COOKIE};
use crate::WebState;
use askama::Template;
use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roster_api::extract::cookie;
use roster_core::service::{LoginNext, LoginOutcome};
use roster_core::{CoreError, Ctx};
use std::collections::HashMap;

/// The largest sign-in form accepted.
const MAX_FORM_BYTES: usize = 16 * 1024;

#[derive(Template)]
#[template(path = "signin/login.html")]
struct LoginForm<'a> {
    pairing: &'a str,
    login: &'a str,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/change_password.html")]
struct ChangePasswordForm<'a> {
    token: &'a str,
    min: u32,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/activate.html")]
struct ActivateForm<'a> {
    token: &'a str,
    min: u32,
    errors: FormErrors,
}

/// `GET /`: the users page when signed in, otherwise the sign-in page.
pub async fn home(who: Result<Signed, Response>) -> Redirect {
    match who {
        Ok(_) => Redirect::to("/users"),
        Err(_) => Redirect::to("/login"),
    }
}

/// The sign-in page with its CSRF pairing cookie.
fn login_form(
    parts: &Parts,
    s: &WebState,
    status: StatusCode,
    login: &str,
    errors: FormErrors,
) -> Response {
    let (pairing, set) = session::login_pairing(parts, s);
    let body = render::text(&LoginForm {
        pairing: &pairing,
        login,
        errors,
    });
    session::with_cookies(render::public_page(status, "Sign in", body), set)
}

/// `GET /login`.
pub async fn login_page(State(s): State<WebState>, req: Request) -> Response {
    let (mut parts, _) = req.into_parts();
    if Signed::from_request_parts(&mut parts, &s).await.is_ok() {
        return Redirect::to("/users").into_response();
    }
    login_form(&parts, &s, StatusCode::OK, "", FormErrors::none())
}

/// The request's context and form, read by hand because sign-in steps have no session.
pub(super) async fn anonymous_form(req: Request) -> Result<(Parts, Ctx, FormData), Response> {
    let (mut parts, body) = req.into_parts();
    let ctx = session::anonymous_ctx(&mut parts).await;
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response())?;
    Ok((parts, ctx, FormData::parse(&bytes)))
}

/// The response that finishes a sign-in: the session cookies and the way to the console.
pub(super) fn signed_in(s: &WebState, out: &LoginOutcome) -> Response {
    session::with_cookies(
        Redirect::to("/users").into_response(),
        session::session_cookies(s, out),
    )
}

/// `POST /login`: a session, or the password change the login asks for first.
pub async fn login(State(s): State<WebState>, req: Request) -> Response {
    let (parts, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let login = form.get("login").unwrap_or_default();
    let paired = cookie(&parts, LOGIN_COOKIE).is_some_and(|c| Some(c) == form.get("pairing"));
    if !paired {
        let errors = FormErrors::general("This form has expired. Sign in again.");
        return login_form(&parts, &s, StatusCode::FORBIDDEN, &login, errors);
    }
    let password = form.secret("password").unwrap_or_default();
    match s.service.login(&ctx, &login, &password).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(e) => {
            let errors = FormErrors::from_core(&e, &[]);
            login_form(&parts, &s, StatusCode::UNAUTHORIZED, &login, errors)
        }
    }
}

/// Where a login goes next: the console, or the step it still needs (second factor, setting
/// one up, a password change).
pub(super) async fn after_login(s: &WebState, ctx: &Ctx, out: LoginOutcome) -> Response {
    match out.next {
        None => signed_in(s, &out),
        Some(LoginNext::ChangePassword) => {
            change_password_form(s, StatusCode::OK, &out.token, FormErrors::none()).await
        }
        Some(LoginNext::Mfa) => factor::second_factor_step(s, ctx, &out.token, &out.methods).await,
        Some(LoginNext::MfaEnrolment) => {
            factor::enrolment_step(s, ctx, &out.token, &out.methods, FormErrors::none()).await
        }
    }
}

pub(super) async fn change_password_form(
    s: &WebState,
    status: StatusCode,
    token: &str,
    errors: FormErrors,
) -> Response {
    let body = render::text(&ChangePasswordForm {
        token,
        min: s
            .service
            .password_policy_for_link(token)
            .await
            .password_min_length,
        errors,
    });
    render::public_page(status, "Choose a new password", body)
}

/// A message page for someone not signed in.
pub(super) fn message(
    status: StatusCode,
    heading: &str,
    text: &str,
    link: (&str, &str),
) -> Response {
    let body = render::text(&Message {
        heading,
        text,
        link: Some(link),
    });
    render::public_page(status, heading, body)
}

/// `POST /change-password/start`: the password-change form for a restricted token carried
/// from an earlier step (after the recovery codes of a second factor set up at sign-in).
pub async fn change_password_start(State(s): State<WebState>, req: Request) -> Response {
    let (_, _, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    change_password_form(&s, StatusCode::OK, &token, FormErrors::none()).await
}

/// `POST /change-password`: the step a login that must change its password takes, with
/// the restricted token it was given (which also proves the form came from this browser).
pub async fn change_password(State(s): State<WebState>, req: Request) -> Response {
    let (_, mut ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    let Ok(actor) = s.service.authenticate_password_change(&token).await else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Sign in again",
            "The time to choose a new password has run out.",
            ("/login", "Sign in"),
        );
    };
    ctx.actor = actor;
    let current = form.secret("current_password").unwrap_or_default();
    let new = form.secret("new_password").unwrap_or_default();
    if form.secret("confirm") != Some(new.clone()) {
        let mut errors = FormErrors::none();
        errors.add("confirm", "The two passwords differ.");
        return change_password_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await;
    }
    match s.service.change_own_password(&ctx, &current, &new).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(e) => {
            let errors = FormErrors::from_core_renamed(
                &e,
                &["current_password", "new_password"],
                &[("password", "new_password")],
            );
            change_password_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await
        }
    }
}

/// `POST /logout`: ends the session and clears the cookies.
pub async fn logout(State(s): State<WebState>, SignedForm { who, .. }: SignedForm) -> Response {
    if let Err(e) = s.service.logout(&who.ctx).await {
        tracing::warn!(error = %e, "logout failed");
    }
    session::with_cookies(
        Redirect::to("/login").into_response(),
        session::cleared_cookies(),
    )
}

async fn activate_form(
    s: &WebState,
    status: StatusCode,
    token: &str,
    errors: FormErrors,
) -> Response {
    let body = render::text(&ActivateForm {
        token,
        min: s
            .service
            .password_policy_for_link(token)
            .await
            .password_min_length,
        errors,
    });
    render::public_page(status, "Create your password", body)
}

/// `GET /activate?token=…`: the page an activation link opens.
pub async fn activate_page(
    State(s): State<WebState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("token").filter(|t| !t.is_empty()) {
        Some(t) => activate_form(&s, StatusCode::OK, t, FormErrors::none()).await,
        None => message(
            StatusCode::BAD_REQUEST,
            "Link incomplete",
            "Open the whole link you were sent.",
            ("/login", "Sign in"),
        ),
    }
}

/// `POST /activate`: sets the password (typed twice) and signs in.
pub async fn activate(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    let password = form.secret("password").unwrap_or_default();
    if form.secret("confirm") != Some(password.clone()) {
        let mut errors = FormErrors::none();
        errors.add("confirm", "The two passwords differ.");
        return activate_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await;
    }
    match s.service.activate(&ctx, &token, &password).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(
            e @ (CoreError::Invalid {
                code: "invalid_token",
                ..
            }
            | CoreError::Conflict { .. }),
        ) => message(
            StatusCode::GONE,
            "Link used or expired",
            &crate::messages::plain(&e),
            ("/login", "Sign in"),
        ),
        Err(e) => {
            let errors = FormErrors::from_core(&e, &["password"]);
            activate_form(&s, StatusCode::UNPROCESSABLE_ENTITY, &token, errors).await
        }
    }
}
