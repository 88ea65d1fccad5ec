//! Sessions: `/me/sessions` and `/users/{id}/sessions`.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, Authed};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use roster_core::model::TokenRecord;
use roster_core::{CoreError, Ctx};

fn info(ctx: &Ctx, t: TokenRecord) -> SessionInfoDto {
    SessionInfoDto {
        current: ctx.actor.token == Some(t.id),
        id: t.id,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        expires_at: t.expires_at,
    }
}

/// Your live sessions, most recently used first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me",
    responses((status = 200, body = Vec<SessionInfoDto>), (status = 401, body = ErrorBody)))]
pub async fn my_sessions(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<Vec<SessionInfoDto>>> {
    let me = ctx.actor.user.ok_or(CoreError::not_found("user"))?;
    let rows = s.service.list_sessions(&ctx, me).await?;
    Ok(Json(rows.into_iter().map(|t| info(&ctx, t)).collect()))
}

/// End one of your sessions (another device, or this one).
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "me",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn end_my_session(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.service
        .end_own_session(&ctx, parse_id(&id, "session")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's live sessions (an administrator of the owner, or the user).
#[utoipa::path(get, path = "/api/v1/users/{id}/sessions", tag = "users",
    responses((status = 200, body = Vec<SessionInfoDto>), (status = 404, body = ErrorBody)))]
pub async fn user_sessions(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SessionInfoDto>>> {
    let rows = s
        .service
        .list_sessions(&ctx, parse_id(&id, "user")?)
        .await?;
    Ok(Json(rows.into_iter().map(|t| info(&ctx, t)).collect()))
}

/// End all of a user's sessions (an administrator of the owner).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    responses((status = 200, body = EndedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_user_sessions(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<EndedDto>> {
    let ended = s
        .service
        .end_user_sessions(&ctx, parse_id(&id, "user")?)
        .await?;
    Ok(Json(EndedDto { ended }))
}

/// End one of a user's sessions (an administrator of the owner, or the user).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions/{session}", tag = "users",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_user_session(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path((id, session)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.service
        .end_user_session(&ctx, parse_id(&id, "user")?, parse_id(&session, "session")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
