//! Who is using the console: the API's session cookie, and the CSRF check every
//! state-changing form post passes (the token derived from the session secret, sent as the
//! `csrf` field or the API's `x-csrf-token` header). While an administrator is logged in as
//! another user, the console's own impersonation cookie carries that session's bearer token
//! beside the administrator's untouched session cookie.

use crate::form::FormData;
use crate::WebState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use roster_api::extract::{cookie, Anonymous, CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};
use roster_core::service::LoginOutcome;
use roster_core::{secret, Actor, Ctx};

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The cookie pairing the sign-in form with its browser before any session exists.
pub const LOGIN_COOKIE: &str = "roster_login_csrf";
/// The console's cookie holding a "login as user" session's bearer token.
pub const IMPERSONATION_COOKIE: &str = "roster_impersonation";

/// A signed-in console user: their request context and the CSRF token their forms carry.
/// While impersonating, the actor is the user logged in as (with the administrator as
/// `ctx.actor.impersonator`) and the CSRF token is derived from that session.
pub struct Signed {
    /// Who is acting, with request id and address for the audit log.
    pub ctx: Ctx,
    /// The CSRF token derived from the session secret.
    pub csrf: String,
}

/// A state-changing form post from a signed-in user whose CSRF token matched.
pub struct SignedForm {
    /// The caller.
    pub who: Signed,
    /// The posted fields.
    pub form: FormData,
}

/// Whether htmx sent the request (it wants a fragment, not a page).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// Where a request without a valid session goes: the sign-in page (htmx is told to load it
/// as a whole page).
fn to_sign_in(parts: &Parts) -> Response {
    if is_htmx(&parts.headers) {
        ([("hx-redirect", "/login")], StatusCode::UNAUTHORIZED).into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// An anonymous context (request id and address) for sign-in steps.
pub async fn anonymous_ctx(parts: &mut Parts) -> Ctx {
    match Anonymous::from_request_parts(parts, &()).await {
        Ok(Anonymous(ctx)) => ctx,
        Err(_) => Ctx {
            actor: Actor::anonymous(),
            request_id: None,
            address: None,
        },
    }
}

impl FromRequestParts<WebState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &WebState) -> Result<Self, Response> {
        let Some(token) = cookie(parts, SESSION_COOKIE) else {
            return Err(to_sign_in(parts));
        };
        let Ok(actor) = s.service.authenticate(&token).await else {
            return Err(to_sign_in(parts));
        };
        let mut ctx = anonymous_ctx(parts).await;
        let mut csrf = secret::csrf_token(&token);
        ctx.actor = actor;
        // A login as user counts only in the browser of the administrator who started it.
        if let Some(imp) = cookie(parts, IMPERSONATION_COOKIE) {
            if let Ok(as_user) = s.service.authenticate(&imp).await {
                if as_user.impersonator.is_some() && as_user.impersonator == ctx.actor.user {
                    csrf = secret::csrf_token(&imp);
                    ctx.actor = as_user;
                }
            }
        }
        Ok(Signed { ctx, csrf })
    }
}

impl FromRequest<WebState> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, s: &WebState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let who = Signed::from_request_parts(&mut parts, s).await?;
        let header_token = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let form = FormData::from_request(Request::from_parts(parts, body), s)
            .await
            .map_err(IntoResponse::into_response)?;
        let sent = header_token.or_else(|| form.get(CSRF_FIELD));
        if sent.as_deref() != Some(who.csrf.as_str()) {
            return Err((
                StatusCode::FORBIDDEN,
                "This form has expired. Reload the page and try again.",
            )
                .into_response());
        }
        Ok(SignedForm { who, form })
    }
}

/// `Set-Cookie` values for a new session: the API's session cookie and its readable CSRF
/// cookie, so the console and the API share one sign-in.
pub fn session_cookies(s: &WebState, out: &LoginOutcome) -> Vec<HeaderValue> {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    [
        format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            out.token
        ),
        format!(
            "{CSRF_COOKIE}={}; Path=/; SameSite=Lax{secure}",
            secret::csrf_token(&out.token)
        ),
        format!("{LOGIN_COOKIE}=; Path=/; Max-Age=0"),
    ]
    .iter()
    .filter_map(|c| HeaderValue::from_str(c).ok())
    .collect()
}

/// The `Set-Cookie` value that carries a "login as user" session for as long as it lasts.
pub fn impersonation_cookie(s: &WebState, token: &str) -> Option<HeaderValue> {
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let max_age = s.service.settings().impersonation_ttl.num_seconds();
    HeaderValue::from_str(&format!(
        "{IMPERSONATION_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The `Set-Cookie` value that forgets a "login as user" session.
pub fn cleared_impersonation() -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{IMPERSONATION_COOKIE}=; Path=/; Max-Age=0")).ok()
}

/// `Set-Cookie` values that end the browser's session.
pub fn cleared_cookies() -> Vec<HeaderValue> {
    [SESSION_COOKIE, CSRF_COOKIE, IMPERSONATION_COOKIE]
        .iter()
        .filter_map(|name| HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")).ok())
        .collect()
}

/// The sign-in form's CSRF pairing: the value of the browser's login cookie, or a fresh
/// one with the `Set-Cookie` that stores it.
pub fn login_pairing(parts: &Parts, s: &WebState) -> (String, Option<HeaderValue>) {
    if let Some(v) = cookie(parts, LOGIN_COOKIE).filter(|v| v.starts_with(secret::PREFIX)) {
        return (v, None);
    }
    let fresh = secret::generate();
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let set = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok();
    (fresh, set)
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(mut res: Response, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}
