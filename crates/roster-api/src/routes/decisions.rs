//! `/check`, `/check/batch`, `/explain` and a user's effective permissions.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, ApiJson, Authed};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use roster_core::service::Question;

fn question(b: CheckBody) -> Question {
    Question {
        user: b.user,
        action: b.action,
        resource: b.resource,
    }
}

/// May `user` do `action` on `resource`? Unknown users, resources and actions are simply not
/// allowed.
#[utoipa::path(post, path = "/api/v1/check", tag = "access", request_body = CheckBody,
    responses((status = 200, body = CheckDto), (status = 401, body = ErrorBody)))]
pub async fn check(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CheckBody>,
) -> Json<CheckDto> {
    Json(CheckDto {
        allowed: s.service.check(&ctx, &question(b)),
    })
}

/// Up to 1,000 questions in one request; the answers in the same order.
#[utoipa::path(post, path = "/api/v1/check/batch", tag = "access", request_body = CheckBatchBody,
    responses((status = 200, body = CheckBatchDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_batch(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CheckBatchBody>,
) -> ApiResult<Json<CheckBatchDto>> {
    let questions: Vec<Question> = b.checks.into_iter().map(question).collect();
    Ok(Json(CheckBatchDto {
        results: s.service.check_batch(&ctx, &questions)?,
    }))
}

/// The decision of `check` with its path, and the deny that won or the fact that nothing
/// granted it.
#[utoipa::path(post, path = "/api/v1/explain", tag = "access", request_body = CheckBody,
    responses((status = 200, body = ExplainDto), (status = 401, body = ErrorBody)))]
pub async fn explain(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CheckBody>,
) -> ApiResult<Json<ExplainDto>> {
    Ok(Json(s.service.explain(&ctx, &question(b)).await?.into()))
}

/// Every grant in force reaching a user, per scope.
#[utoipa::path(get, path = "/api/v1/users/{id}/effective-permissions", tag = "access",
    responses((status = 200, body = EffectiveListDto), (status = 404, body = ErrorBody)))]
pub async fn effective_permissions(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Json<EffectiveListDto>> {
    let items = s
        .service
        .effective_permissions(&ctx, parse_id(&id, "user")?)
        .await?;
    Ok(Json(EffectiveListDto {
        items: items.into_iter().map(Into::into).collect(),
    }))
}
