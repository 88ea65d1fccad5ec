//! `/groups` and their members.

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
use roster_core::service::{CreateGroup, DeleteMembers, GroupFilter, UpdateGroup};
use roster_core::CoreError;

/// List groups the caller administers (anyone may list their own with `member=<own id>`).
#[utoipa::path(get, path = "/api/v1/groups", tag = "groups",
    params(GroupListParams, Paging),
    responses((status = 200, body = ListOf<GroupDto>), (status = 401, body = ErrorBody)))]
pub async fn list_groups(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<GroupListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<GroupDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let filter = GroupFilter {
        owner: f.owner,
        member: f.member,
        q: f.q,
    };
    let rows = s.service.list_groups(&ctx, &filter, page).await?;
    Ok(Json(ListOf::from_page(rows, GroupDto::from)))
}

/// Create a group owned by a tenant or customer.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroupBody,
    responses((status = 201, body = GroupDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateGroupBody>,
) -> ApiResult<Response> {
    let input = CreateGroup {
        name: b.name,
        description: b.description,
        owner: b.owner,
    };
    let g = s.service.create_group(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, g.version, GroupDto::from(g)))
}

/// One group.
#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups",
    responses((status = 200, body = GroupDto), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let g = s.service.get_group(&ctx, parse_id(&id, "group")?).await?;
    Ok(tagged(StatusCode::OK, g.version, GroupDto::from(g)))
}

/// Rename or describe a group (predefined groups keep their names).
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", request_body = UpdateGroupBody,
    responses((status = 200, body = GroupDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateGroupBody>,
) -> ApiResult<Response> {
    let change = UpdateGroup {
        name: b.name,
        description: b.description,
        level: b.level,
    };
    let g = s
        .service
        .update_group(&ctx, parse_id(&id, "group")?, &change, v)
        .await?;
    Ok(tagged(StatusCode::OK, g.version, GroupDto::from(g)))
}

/// Delete a custom group with its grants; its members' accounts stay. A project-level
/// group's members stay in the project (`members=keep`, the default) or leave it
/// (`members=remove`).
#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(DeleteGroupParams),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiQuery(q): ApiQuery<DeleteGroupParams>,
) -> ApiResult<StatusCode> {
    let members = match q.members.as_deref() {
        None | Some("keep") => DeleteMembers::Keep,
        Some("remove") => DeleteMembers::Remove,
        Some(_) => {
            return Err(CoreError::invalid(
                "invalid_members",
                "members",
                "members is keep or remove",
            )
            .into())
        }
    };
    s.service
        .delete_group(&ctx, parse_id(&id, "group")?, members, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a group's members (for `All`, every user of the tenant).
#[utoipa::path(get, path = "/api/v1/groups/{id}/members", tag = "groups", params(Paging),
    responses((status = 200, body = ListOf<MemberDto>), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<MemberDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let rows = s
        .service
        .list_members(&ctx, parse_id(&id, "group")?, page)
        .await?;
    Ok(Json(ListOf::from_page(rows, MemberDto::from)))
}

/// Add a user to a group, optionally for a time window; the answer lists the projects this
/// made them a member of.
#[utoipa::path(post, path = "/api/v1/groups/{id}/members", tag = "groups", request_body = AddMemberBody,
    responses((status = 201, body = JoinedDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AddMemberBody>,
) -> ApiResult<(StatusCode, Json<JoinedDto>)> {
    let m = s
        .service
        .add_member(
            &ctx,
            parse_id(&id, "group")?,
            b.user,
            b.valid_from,
            b.valid_until,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Remove a user from a group; their account stays.
#[utoipa::path(delete, path = "/api/v1/groups/{id}/members/{user}", tag = "groups",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let group = parse_id(&id, "group")?;
    s.service
        .remove_member(&ctx, group, parse_id(&user, "membership")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
