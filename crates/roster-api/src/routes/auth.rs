//! `/auth/login`, `/auth/logout` and `/activate`.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Anonymous, ApiJson, Authed, CSRF_COOKIE, SESSION_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use roster_core::secret;
use roster_core::service::{LoginNext, LoginOutcome};

/// Sign in with a login and password: a session token and the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = SessionDto), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let out = s.service.login(&ctx, &b.login, &b.password).await?;
    Ok(session_response(&s, out))
}

/// Finish a login that answered `next: mfa` with an authenticator code or a recovery code:
/// a new session and its cookie.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth", request_body = MfaBody,
    responses((status = 200, body = SessionDto), (status = 401, body = ErrorBody)))]
pub async fn mfa(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<MfaBody>,
) -> ApiResult<Response> {
    let out = s.service.finish_mfa(&ctx, &b.mfa_token, &b.code).await?;
    Ok(session_response(&s, out))
}

/// Redeem an activation link: set the password and sign in.
#[utoipa::path(post, path = "/api/v1/activate", tag = "auth", request_body = ActivateBody,
    responses((status = 200, body = SessionDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn activate(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<ActivateBody>,
) -> ApiResult<Response> {
    let out = s.service.activate(&ctx, &b.token, &b.password).await?;
    Ok(session_response(&s, out))
}

/// End the current session (or revoke the API token used).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(s): State<AppState>, Authed(ctx): Authed) -> ApiResult<Response> {
    s.service.logout(&ctx).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        if let Ok(v) = HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// The session body plus the session and CSRF cookies.
pub(crate) fn session_response(s: &AppState, out: LoginOutcome) -> Response {
    let csrf = secret::csrf_token(&out.token);
    let secure = if s.secure_cookies { "; Secure" } else { "" };
    let cookies = [
        format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            out.token
        ),
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax{secure}"),
    ];
    let restricted = out.next.is_some();
    let body = SessionDto {
        next: out.next.map(|n| match n {
            LoginNext::ChangePassword => "change_password".to_string(),
            LoginNext::Mfa => "mfa".to_string(),
        }),
        mfa_token: (out.next == Some(LoginNext::Mfa)).then(|| out.token.clone()),
        token: out.token,
        csrf_token: csrf,
        expires_at: out.session.expires_at,
        user: out.user.into(),
    };
    let mut res = (StatusCode::OK, Json(body)).into_response();
    // A restricted token is for the one call that finishes the login, not for the browser.
    for c in cookies.into_iter().filter(|_| !restricted) {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
