//! `/users`.

use super::tagged;
use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, Authed, IfMatch};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use roster_core::page::PageReq;
use roster_core::service::{ActivationLink, CreateUser, UpdateUser, UserFilter};

/// List the users the caller may see, filtered and paged.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(UserListParams, Paging),
    responses((status = 200, body = ListOf<UserDto>), (status = 401, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<UserListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<UserDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let filter = UserFilter {
        owner: f.owner,
        group: f.group,
        status: f.status,
        q: f.q,
    };
    let rows = s.service.list_users(&ctx, &filter, page).await?;
    Ok(Json(ListOf::from_page(rows, UserDto::from)))
}

/// Create a user; without a password the user is pending until activated.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUserBody,
    responses((status = 201, body = UserDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateUserBody>,
) -> ApiResult<Response> {
    let input = CreateUser {
        login: b.login,
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        phone: b.phone,
        owner: b.owner,
        kind: b.kind,
        password: b.password,
        enabled: b.enabled.unwrap_or(true),
        groups: b.groups,
        must_change_password: b.must_change_password,
    };
    let u = s.service.create_user(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, u.version, UserDto::from(u)))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    responses((status = 200, body = UserDto), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let u = s.service.get_user(&ctx, parse_id(&id, "user")?).await?;
    Ok(tagged(StatusCode::OK, u.version, UserDto::from(u)))
}

/// Change a user: details, `enabled`, owner (the answer lists groups the user left).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUserBody,
    responses((status = 200, body = UpdatedUserDto), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> ApiResult<Response> {
    let change = UpdateUser {
        login: b.login,
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        phone: b.phone,
        enabled: b.enabled,
        owner: b.owner,
        must_change_password: b.must_change_password,
    };
    let out = s
        .service
        .update_user(&ctx, parse_id(&id, "user")?, change, v)
        .await?;
    let version = out.user.version;
    let body = UpdatedUserDto {
        user: out.user.into(),
        removed_from_groups: out.removed_from_groups,
    };
    Ok(tagged(StatusCode::OK, version, body))
}

/// Delete a user: memberships, sessions and credentials go; the audit trail keeps the id.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_user(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_user(&ctx, parse_id(&id, "user")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a new activation link for a pending user (older links stop working). With
/// `send: true` it is emailed instead, which needs outgoing email.
#[utoipa::path(post, path = "/api/v1/users/{id}/activation-link", tag = "users", request_body = ActivationLinkBody,
    responses((status = 200, body = ActivationLinkDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn activation_link(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActivationLinkBody>,
) -> ApiResult<Json<ActivationLinkDto>> {
    let link = s
        .service
        .create_activation_link(&ctx, parse_id(&id, "user")?, b.send)
        .await?;
    Ok(Json(match link {
        ActivationLink::Shown { url, expires_at } => ActivationLinkDto {
            url: Some(url),
            sent_to: None,
            expires_at,
        },
        ActivationLink::Sent { to, expires_at } => ActivationLinkDto {
            url: None,
            sent_to: Some(to),
            expires_at,
        },
    }))
}

/// Set a user's password (an administrator of the owner); may require a change at next login.
/// The user's sessions end; a pending user becomes active.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", request_body = SetPasswordBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_password(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SetPasswordBody>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, "user")?;
    s.service
        .set_password(&ctx, id, &b.password, b.must_change_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Log in as a user (an administrator of the owner), giving a reason: a bearer session of at
/// most 30 minutes in which `GET /me` names the administrator and every audit event both.
#[utoipa::path(post, path = "/api/v1/users/{id}/impersonate", tag = "users", request_body = ImpersonateBody,
    responses((status = 200, body = ImpersonationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn impersonate(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ImpersonateBody>,
) -> ApiResult<Json<ImpersonationDto>> {
    let out = s
        .service
        .impersonate(&ctx, parse_id(&id, "user")?, &b.reason)
        .await?;
    Ok(Json(ImpersonationDto {
        token: out.token,
        expires_at: out.session.expires_at,
        user: out.user.into(),
    }))
}
