//! `/roles` and `/grants`.

use super::tagged;
use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, Authed, IfMatch};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use roster_core::model::GrantQuery;
use roster_core::page::PageReq;
use roster_core::service::{CreateGrant, CreateRole, UpdateGrant, UpdateRole};

/// The built-in roles and the custom roles the caller may read.
#[utoipa::path(get, path = "/api/v1/roles", tag = "access", params(OwnedListParams, Paging),
    responses((status = 200, body = ListOf<RoleDto>), (status = 401, body = ErrorBody)))]
pub async fn list_roles(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<OwnedListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<RoleDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let rows = s
        .service
        .list_roles(&ctx, f.owner, f.q.as_deref(), page)
        .await?;
    Ok(Json(ListOf::from_page(rows, RoleDto::from)))
}

/// Create a role.
#[utoipa::path(post, path = "/api/v1/roles", tag = "access", request_body = CreateRoleBody,
    responses((status = 201, body = RoleDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_role(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateRoleBody>,
) -> ApiResult<Response> {
    let input = CreateRole {
        name: b.name,
        description: b.description,
        owner: b.owner,
        permissions: b.permissions,
    };
    let r = s.service.create_role(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, r.version, RoleDto::from(r)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "access",
    responses((status = 200, body = RoleDto), (status = 404, body = ErrorBody)))]
pub async fn get_role(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let r = s.service.get_role(&ctx, parse_id(&id, "role")?).await?;
    Ok(tagged(StatusCode::OK, r.version, RoleDto::from(r)))
}

/// Rename, describe or change the permissions of a custom role.
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "access", request_body = UpdateRoleBody,
    responses((status = 200, body = RoleDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_role(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateRoleBody>,
) -> ApiResult<Response> {
    let change = UpdateRole {
        name: b.name,
        description: b.description,
        permissions: b.permissions,
    };
    let r = s
        .service
        .update_role(&ctx, parse_id(&id, "role")?, &change, v)
        .await?;
    Ok(tagged(StatusCode::OK, r.version, RoleDto::from(r)))
}

/// Delete a custom role no grant uses.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_role(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_role(&ctx, parse_id(&id, "role")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List grants on scopes where the caller may read grants.
#[utoipa::path(get, path = "/api/v1/grants", tag = "access", params(GrantListParams, Paging),
    responses((status = 200, body = ListOf<GrantDto>), (status = 401, body = ErrorBody)))]
pub async fn list_grants(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<GrantListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<GrantDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let query = GrantQuery {
        subject: f.subject,
        scope: f.scope,
        role: f.role,
    };
    let rows = s.service.list_grants(&ctx, &query, page).await?;
    Ok(Json(ListOf::from_page(rows, GrantDto::from)))
}

/// Grant a role, or inline permissions, to a user or group on a scope.
#[utoipa::path(post, path = "/api/v1/grants", tag = "access", request_body = CreateGrantBody,
    responses((status = 201, body = GrantDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_grant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateGrantBody>,
) -> ApiResult<Response> {
    let input = CreateGrant {
        subject: b.subject,
        role: b.role,
        permissions: b.permissions,
        scope: b.scope,
        effect: b.effect,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
    };
    let g = s.service.create_grant(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, g.version, GrantDto::from(g)))
}

/// One grant.
#[utoipa::path(get, path = "/api/v1/grants/{id}", tag = "access",
    responses((status = 200, body = GrantDto), (status = 404, body = ErrorBody)))]
pub async fn get_grant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let g = s.service.get_grant(&ctx, parse_id(&id, "grant")?).await?;
    Ok(tagged(StatusCode::OK, g.version, GrantDto::from(g)))
}

/// Change a grant's effect or validity window.
#[utoipa::path(patch, path = "/api/v1/grants/{id}", tag = "access", request_body = UpdateGrantBody,
    responses((status = 200, body = GrantDto), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_grant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateGrantBody>,
) -> ApiResult<Response> {
    let change = UpdateGrant {
        effect: b.effect,
        valid_from: b.valid_from,
        valid_until: b.valid_until,
    };
    let g = s
        .service
        .update_grant(&ctx, parse_id(&id, "grant")?, &change, v)
        .await?;
    Ok(tagged(StatusCode::OK, g.version, GrantDto::from(g)))
}

/// Revoke a grant.
#[utoipa::path(delete, path = "/api/v1/grants/{id}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_grant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_grant(&ctx, parse_id(&id, "grant")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
