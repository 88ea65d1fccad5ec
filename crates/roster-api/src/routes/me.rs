//! `/me`: the caller's own account and API tokens.

use super::tagged;
use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, ApiJson, Authed, PasswordChanger};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, Authed(ctx): Authed) -> ApiResult<Response> {
    let u = s.service.me(&ctx).await?;
    let impersonator = s
        .service
        .impersonator(&ctx)
        .await?
        .map(|a| ImpersonatorDto {
            id: a.id,
            login: a.login,
        });
    Ok(tagged(
        StatusCode::OK,
        u.version,
        MeDto {
            user: u.into(),
            impersonator,
        },
    ))
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me",
    responses((status = 200, body = Vec<ApiTokenDto>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<Vec<ApiTokenDto>>> {
    let rows = s.service.list_api_tokens(&ctx).await?;
    Ok(Json(rows.into_iter().map(ApiTokenDto::from).collect()))
}

/// Make an API token; its secret is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = CreateTokenBody,
    responses((status = 201, body = NewApiTokenDto), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateTokenBody>,
) -> ApiResult<(StatusCode, Json<NewApiTokenDto>)> {
    let t = s
        .service
        .create_api_token(&ctx, &b.name, b.expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiTokenDto {
            token: t.token,
            record: t.record.into(),
        }),
    ))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.service
        .revoke_api_token(&ctx, parse_id(&id, "token")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change your own password with the current one; also finishes a login that answered
/// `next: change_password`. All your sessions end and a new one is returned.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = ChangePasswordBody,
    responses((status = 200, body = SessionDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    PasswordChanger(ctx): PasswordChanger,
    ApiJson(b): ApiJson<ChangePasswordBody>,
) -> ApiResult<Response> {
    let out = s
        .service
        .change_own_password(&ctx, &b.current_password, &b.new_password)
        .await?;
    Ok(super::session_response(&s, out))
}

/// Start setting up an authenticator app: the secret, its `otpauth://` URI and a QR code.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "me",
    responses((status = 200, body = TotpEnrollmentDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enroll_totp(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<TotpEnrollmentDto>> {
    let e = s.service.enroll_totp(&ctx).await?;
    Ok(Json(TotpEnrollmentDto {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
        qr_svg: e.qr_svg,
    }))
}

/// Confirm the authenticator with its current code; answers ten recovery codes, once.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "me", request_body = TotpCodeBody,
    responses((status = 200, body = RecoveryCodesDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm_totp(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<TotpCodeBody>,
) -> ApiResult<Json<RecoveryCodesDto>> {
    let codes = s.service.confirm_totp(&ctx, &b.code).await?;
    Ok(Json(RecoveryCodesDto {
        recovery_codes: codes,
    }))
}

/// Remove the caller's authenticator and recovery codes.
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "me",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_totp(State(s): State<AppState>, Authed(ctx): Authed) -> ApiResult<StatusCode> {
    s.service.remove_own_totp(&ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An administrator resets a user's second factors; the user's sessions end.
#[utoipa::path(delete, path = "/api/v1/users/{id}/second-factors", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_second_factors(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.service
        .reset_second_factors(&ctx, parse_id(&id, "user")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Email yourself a link that verifies your address.
#[utoipa::path(post, path = "/api/v1/me/email/verification", tag = "me",
    responses((status = 202, body = SentDto), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn send_email_verification(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<(StatusCode, Json<SentDto>)> {
    let sent_to = s.service.send_email_verification(&ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(SentDto { sent_to })))
}

/// Turn on sign-in codes by email as your second factor (needs a verified address).
#[utoipa::path(post, path = "/api/v1/me/email-codes", tag = "me",
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn enable_email_codes(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<StatusCode> {
    s.service.enable_email_codes(&ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn sign-in codes by email off.
#[utoipa::path(delete, path = "/api/v1/me/email-codes", tag = "me",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disable_email_codes(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<StatusCode> {
    s.service.disable_email_codes(&ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
