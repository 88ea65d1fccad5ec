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

/// Have a sign-in code emailed, for a login that answered `next: mfa` with `email` among its
/// methods; a new code voids the previous one.
#[utoipa::path(post, path = "/api/v1/auth/mfa/email", tag = "auth", request_body = MfaTokenBody,
    responses((status = 202, body = SentDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn mfa_email(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<MfaTokenBody>,
) -> ApiResult<(StatusCode, Json<SentDto>)> {
    let sent_to = s.service.send_sign_in_code(&ctx, &b.mfa_token).await?;
    Ok((StatusCode::ACCEPTED, Json(SentDto { sent_to })))
}

/// Start setting up an authenticator during a login that answered `next: mfa_enrolment`.
#[utoipa::path(post, path = "/api/v1/auth/mfa/enrol", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = TotpEnrollmentDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mfa_enrol(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<TokenBody>,
) -> ApiResult<Json<TotpEnrollmentDto>> {
    let e = s.service.enrol_totp_at_login(&ctx, &b.token).await?;
    Ok(Json(TotpEnrollmentDto {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
        qr_svg: e.qr_svg,
    }))
}

/// Confirm the authenticator set up at sign-in with its current code: the session (or the
/// password change also due) and ten recovery codes, shown once.
#[utoipa::path(post, path = "/api/v1/auth/mfa/enrol/confirm", tag = "auth", request_body = EnrolConfirmBody,
    responses((status = 200, body = SessionDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mfa_enrol_confirm(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<EnrolConfirmBody>,
) -> ApiResult<Response> {
    let (codes, out) = s
        .service
        .confirm_totp_at_login(&ctx, &b.token, &b.code)
        .await?;
    Ok(session_response_with(&s, out, Some(codes)))
}

/// Choose sign-in codes by email (a verified address) during a login that answered
/// `next: mfa_enrolment`: the login moves on to `next: mfa`.
#[utoipa::path(post, path = "/api/v1/auth/mfa/enrol/email", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = SessionDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn mfa_enrol_email(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<TokenBody>,
) -> ApiResult<Response> {
    let out = s.service.enrol_email_at_login(&ctx, &b.token).await?;
    Ok(session_response(&s, out))
}

/// Ask for a password reset link by email. The answer is always `202`, whether or not the
/// login exists (`409 smtp_not_configured` when roster cannot send email at all).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = PasswordResetBody,
    responses((status = 202), (status = 409, body = ErrorBody)))]
pub async fn password_reset(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<PasswordResetBody>,
) -> ApiResult<StatusCode> {
    s.service.request_password_reset(&ctx, &b.login).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Redeem a password reset link with a new password: signed in (or the second factor is
/// asked for first).
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ActivateBody,
    responses((status = 200, body = SessionDto), (status = 422, body = ErrorBody)))]
pub async fn password_reset_confirm(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<ActivateBody>,
) -> ApiResult<Response> {
    let out = s
        .service
        .reset_password(&ctx, &b.token, &b.password)
        .await?;
    Ok(session_response(&s, out))
}

/// Redeem an email verification link: the address it was sent to is verified.
#[utoipa::path(post, path = "/api/v1/verify-email", tag = "auth", request_body = TokenBody,
    responses((status = 200, body = UserDto), (status = 422, body = ErrorBody)))]
pub async fn verify_email(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    ApiJson(b): ApiJson<TokenBody>,
) -> ApiResult<Json<UserDto>> {
    Ok(Json(s.service.verify_email(&ctx, &b.token).await?.into()))
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
    session_response_with(s, out, None)
}

/// As [`session_response`], with the recovery codes of an authenticator set up at sign-in.
fn session_response_with(
    s: &AppState,
    out: LoginOutcome,
    recovery_codes: Option<Vec<String>>,
) -> Response {
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
    let step = matches!(out.next, Some(LoginNext::Mfa | LoginNext::MfaEnrolment));
    let body = SessionDto {
        next: out.next.map(|n| n.as_str().to_string()),
        mfa_token: step.then(|| out.token.clone()),
        methods: step.then(|| out.methods.iter().map(|m| m.to_string()).collect()),
        recovery_codes: None,
        token: out.token,
        csrf_token: csrf,
        expires_at: out.session.expires_at,
        user: out.user.into(),
    };
    let body = SessionDto {
        recovery_codes,
        ..body
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
