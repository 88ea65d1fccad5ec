//! `/settings`: the install's own settings.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authed};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// Send a test email through the configured SMTP server (system administrators).
#[utoipa::path(post, path = "/api/v1/settings/smtp/test", tag = "settings", request_body = SmtpTestBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn smtp_test(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<SmtpTestBody>,
) -> ApiResult<StatusCode> {
    s.service.send_test_email(&ctx, &b.to).await?;
    Ok(StatusCode::NO_CONTENT)
}
