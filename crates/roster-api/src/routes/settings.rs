//! `/settings`: the install's own settings (outgoing email, the system administrators'
//! policy), and each tenant's policy at `/tenants/{id}/policy`.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::parse_id;
use crate::extract::{ApiJson, Authed};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use roster_core::SYSTEM_NODE_ID;

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

/// The outgoing-email settings in force (the password only as `password_set`).
#[utoipa::path(get, path = "/api/v1/settings/smtp", tag = "settings",
    responses((status = 200, body = SmtpSettingsDto), (status = 403, body = ErrorBody)))]
pub async fn get_smtp(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<SmtpSettingsDto>> {
    Ok(Json(s.service.smtp_settings(&ctx).await?.into()))
}

/// Save outgoing-email settings (system administrators); they win over the server's
/// configuration, on every node.
#[utoipa::path(put, path = "/api/v1/settings/smtp", tag = "settings", request_body = UpdateSmtpBody,
    responses((status = 200, body = SmtpSettingsDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_smtp(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<UpdateSmtpBody>,
) -> ApiResult<Json<SmtpSettingsDto>> {
    Ok(Json(
        s.service.update_smtp_settings(&ctx, b.into()).await?.into(),
    ))
}

/// Forget the saved outgoing-email settings: the server's configuration applies again.
#[utoipa::path(delete, path = "/api/v1/settings/smtp", tag = "settings",
    responses((status = 200, body = SmtpSettingsDto), (status = 403, body = ErrorBody)))]
pub async fn delete_smtp(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<SmtpSettingsDto>> {
    Ok(Json(s.service.clear_smtp_settings(&ctx).await?.into()))
}

/// The system administrators' password and second-factor policy.
#[utoipa::path(get, path = "/api/v1/settings/policy", tag = "settings",
    responses((status = 200, body = PolicyDto), (status = 404, body = ErrorBody)))]
pub async fn get_install_policy(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<PolicyDto>> {
    Ok(Json(s.service.policy(&ctx, SYSTEM_NODE_ID).await?.into()))
}

/// Change the system administrators' policy.
#[utoipa::path(patch, path = "/api/v1/settings/policy", tag = "settings", request_body = PolicyPatchBody,
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_install_policy(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<PolicyPatchBody>,
) -> ApiResult<Json<PolicyDto>> {
    Ok(Json(
        s.service
            .update_policy(&ctx, SYSTEM_NODE_ID, b.into())
            .await?
            .into(),
    ))
}

/// A tenant's password and second-factor policy (its customers follow it).
#[utoipa::path(get, path = "/api/v1/tenants/{id}/policy", tag = "settings",
    responses((status = 200, body = PolicyDto), (status = 404, body = ErrorBody)))]
pub async fn get_tenant_policy(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<PolicyDto>> {
    let id = parse_id(&id, "tenant")?;
    Ok(Json(s.service.policy(&ctx, id).await?.into()))
}

/// Change a tenant's policy (its administrators); it applies to passwords set from now on
/// and to the next sign-in.
#[utoipa::path(patch, path = "/api/v1/tenants/{id}/policy", tag = "settings", request_body = PolicyPatchBody,
    responses((status = 200, body = PolicyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_tenant_policy(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PolicyPatchBody>,
) -> ApiResult<Json<PolicyDto>> {
    let id = parse_id(&id, "tenant")?;
    Ok(Json(
        s.service.update_policy(&ctx, id, b.into()).await?.into(),
    ))
}
