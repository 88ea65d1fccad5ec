//! The second-factor steps of signing in: a code from an authenticator app, a recovery code
//! or an emailed code; and, when the tenant's policy requires a second factor the user has
//! not set up, setting one up (an authenticator with its recovery codes, or email codes).

use super::signin::{after_login, anonymous_form, message};
use crate::messages::FormErrors;
use crate::render;
use crate::session;
use crate::WebState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_core::service::LoginNext;
use roster_core::{CoreError, Ctx};

#[derive(Template)]
#[template(path = "signin/second_factor.html")]
struct SecondFactorForm<'a> {
    token: &'a str,
    methods: &'a str,
    totp: bool,
    email: bool,
    sent_to: Option<String>,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/enrol.html")]
struct EnrolForm<'a> {
    token: &'a str,
    methods: &'a str,
    qr_svg: &'a str,
    secret: &'a str,
    email: bool,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "signin/recovery_codes.html")]
struct RecoveryCodes<'a> {
    codes: &'a [String],
    change_token: Option<&'a str>,
}

/// The page that asks for a code; `methods` is the login's list, comma-separated.
fn code_form(
    status: StatusCode,
    token: &str,
    methods: &str,
    sent_to: Option<String>,
    errors: FormErrors,
) -> Response {
    let body = render::text(&SecondFactorForm {
        token,
        methods,
        totp: methods.split(',').any(|m| m == "totp"),
        email: methods.split(',').any(|m| m == "email"),
        sent_to,
        errors,
    });
    render::public_page(status, "Second factor", body)
}

/// The page that sends someone back to sign in when a step ran out.
fn start_again(what: &str) -> Response {
    message(
        StatusCode::UNAUTHORIZED,
        "Sign in again",
        what,
        ("/login", "Sign in"),
    )
}

/// The code step of a login; a user whose only factor is email gets their code at once.
pub(super) async fn second_factor_step(
    s: &WebState,
    ctx: &Ctx,
    token: &str,
    methods: &[&str],
) -> Response {
    let methods = methods.join(",");
    if methods != "email" {
        return code_form(StatusCode::OK, token, &methods, None, FormErrors::none());
    }
    match s.service.send_sign_in_code(ctx, token).await {
        Ok(to) => code_form(
            StatusCode::OK,
            token,
            &methods,
            Some(to),
            FormErrors::none(),
        ),
        Err(e) => code_form(
            StatusCode::OK,
            token,
            &methods,
            None,
            FormErrors::general(crate::messages::plain(&e)),
        ),
    }
}

/// `POST /second-factor`: checks the code; the single-use token from the password step
/// proves the form came from this browser.
pub async fn second_factor(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("mfa_token").unwrap_or_default();
    let methods = form.get("methods").unwrap_or_default();
    let code = form.secret("code").unwrap_or_default();
    match s.service.finish_mfa(&ctx, &token, &code).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(CoreError::Unauthenticated {
            code: "invalid_code",
            ..
        }) => {
            let mut errors = FormErrors::none();
            errors.add("code", "That code is wrong or was used already.");
            code_form(StatusCode::UNAUTHORIZED, &token, &methods, None, errors)
        }
        Err(_) => start_again("The time to enter a code has run out."),
    }
}

/// `POST /second-factor/email`: emails a (new) sign-in code.
pub async fn email_code(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("mfa_token").unwrap_or_default();
    let methods = form.get("methods").unwrap_or_default();
    match s.service.send_sign_in_code(&ctx, &token).await {
        Ok(to) => code_form(
            StatusCode::OK,
            &token,
            &methods,
            Some(to),
            FormErrors::none(),
        ),
        Err(CoreError::Unauthenticated { .. }) => {
            start_again("The time to enter a code has run out.")
        }
        Err(e) => code_form(
            StatusCode::CONFLICT,
            &token,
            &methods,
            None,
            FormErrors::general(crate::messages::plain(&e)),
        ),
    }
}

/// The set-up page of a login whose tenant requires a second factor: an authenticator's QR
/// code (the same one while the step lasts), and email codes where the address is verified.
pub(super) async fn enrolment_step(
    s: &WebState,
    ctx: &Ctx,
    token: &str,
    methods: &[&str],
    errors: FormErrors,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    enrolment_page(s, ctx, status, token, &methods.join(","), errors).await
}

async fn enrolment_page(
    s: &WebState,
    ctx: &Ctx,
    status: StatusCode,
    token: &str,
    methods: &str,
    errors: FormErrors,
) -> Response {
    match s.service.enrol_totp_at_login(ctx, token).await {
        Ok(e) => {
            let body = render::text(&EnrolForm {
                token,
                methods,
                qr_svg: svg_element(&e.qr_svg),
                secret: &e.secret,
                email: methods.split(',').any(|m| m == "email"),
                errors,
            });
            render::public_page(status, "Set up a second factor", body)
        }
        Err(_) => start_again("The time to set up a second factor has run out."),
    }
}

/// The `<svg>` element of an SVG document, for placing it in a page.
fn svg_element(doc: &str) -> &str {
    doc.find("<svg").map_or(doc, |i| &doc[i..])
}

/// `POST /second-factor/enrol`: confirms the new authenticator with its first code; shows
/// the recovery codes, then goes on into the console (or to the password change also due).
pub async fn enrol(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    let methods = form.get("methods").unwrap_or_default();
    let code = form.secret("code").unwrap_or_default();
    match s.service.confirm_totp_at_login(&ctx, &token, &code).await {
        Ok((codes, out)) => {
            let change =
                (out.next == Some(LoginNext::ChangePassword)).then_some(out.token.as_str());
            let body = render::text(&RecoveryCodes {
                codes: &codes,
                change_token: change,
            });
            let page = render::public_page(StatusCode::OK, "Save your recovery codes", body);
            if out.next.is_none() {
                session::with_cookies(page, session::session_cookies(&s, &out))
            } else {
                page
            }
        }
        Err(CoreError::Unauthenticated { .. }) => {
            start_again("The time to set up a second factor has run out.")
        }
        Err(e) => {
            let errors = FormErrors::from_core(&e, &["code"]);
            enrolment_page(
                &s,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &token,
                &methods,
                errors,
            )
            .await
        }
    }
}

/// `POST /second-factor/enrol-email`: chooses email codes instead; a code goes out at once.
pub async fn enrol_email(State(s): State<WebState>, req: Request) -> Response {
    let (_, ctx, form) = match anonymous_form(req).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let token = form.get("token").unwrap_or_default();
    match s.service.enrol_email_at_login(&ctx, &token).await {
        Ok(out) => after_login(&s, &ctx, out).await,
        Err(CoreError::Unauthenticated { .. }) => {
            start_again("The time to set up a second factor has run out.")
        }
        Err(e) => message(
            StatusCode::CONFLICT,
            "Email codes are not available",
            &crate::messages::plain(&e),
            ("/login", "Sign in again"),
        ),
    }
}
