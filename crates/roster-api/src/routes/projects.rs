//! `/projects`: members, project-level and attached groups.

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
use roster_core::service::{CreateProject, UpdateProject};

/// List projects the caller may read.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(OwnedListParams, Paging),
    responses((status = 200, body = ListOf<ProjectDto>), (status = 401, body = ErrorBody)))]
pub async fn list_projects(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<OwnedListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<ProjectDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let rows = s
        .service
        .list_projects(&ctx, f.owner, f.q.as_deref(), page)
        .await?;
    Ok(Json(ListOf::from_page(rows, ProjectDto::from)))
}

/// Create a project (exclusive unless said otherwise).
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = CreateProjectBody,
    responses((status = 201, body = ProjectDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_project(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateProjectBody>,
) -> ApiResult<Response> {
    let input = CreateProject {
        name: b.name,
        description: b.description,
        owner: b.owner,
        exclusive: b.exclusive,
    };
    let p = s.service.create_project(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, p.version, ProjectDto::from(p)))
}

/// One project.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    responses((status = 200, body = ProjectDto), (status = 404, body = ErrorBody)))]
pub async fn get_project(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = s
        .service
        .get_project(&ctx, parse_id(&id, "project")?)
        .await?;
    Ok(tagged(StatusCode::OK, p.version, ProjectDto::from(p)))
}

/// Rename, describe, or change the exclusivity of a project.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", request_body = UpdateProjectBody,
    responses((status = 200, body = ProjectDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_project(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateProjectBody>,
) -> ApiResult<Response> {
    let change = UpdateProject {
        name: b.name,
        description: b.description,
        exclusive: b.exclusive,
    };
    let p = s
        .service
        .update_project(&ctx, parse_id(&id, "project")?, &change, v)
        .await?;
    Ok(tagged(StatusCode::OK, p.version, ProjectDto::from(p)))
}

/// Delete a project without groups or resources of its own.
#[utoipa::path(delete, path = "/api/v1/projects/{id}", tag = "projects",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_project(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_project(&ctx, parse_id(&id, "project")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Attach an org-level group ("add existing system level user group"); its members join.
#[utoipa::path(post, path = "/api/v1/projects/{id}/groups", tag = "projects", request_body = AttachGroupBody,
    responses((status = 201, body = AttachedDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AttachGroupBody>,
) -> ApiResult<(StatusCode, Json<AttachedDto>)> {
    let a = s
        .service
        .attach_group(&ctx, parse_id(&id, "project")?, b.group)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AttachedDto {
            members_added: a.members_added,
        }),
    ))
}

/// Detach an org-level group: its grants in the project go, and its members leave.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/groups/{group}", tag = "projects",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn detach_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let project = parse_id(&id, "project")?;
    s.service
        .detach_group(&ctx, &[project], parse_id(&group, "attached group")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Detach an org-level group from several projects at once.
#[utoipa::path(post, path = "/api/v1/groups/{id}/detach", tag = "projects", request_body = DetachGroupBody,
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn detach_group_from_projects(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DetachGroupBody>,
) -> ApiResult<StatusCode> {
    s.service
        .detach_group(&ctx, &b.projects, parse_id(&id, "group")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of the project's members.
#[utoipa::path(get, path = "/api/v1/projects/{id}/members", tag = "projects", params(Paging),
    responses((status = 200, body = ListOf<ProjectMemberDto>), (status = 404, body = ErrorBody)))]
pub async fn list_project_members(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<ProjectMemberDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let rows = s
        .service
        .list_project_members(&ctx, parse_id(&id, "project")?, page)
        .await?;
    Ok(Json(ListOf::from_page(rows, ProjectMemberDto::from)))
}

/// Make a user a project member.
#[utoipa::path(post, path = "/api/v1/projects/{id}/members", tag = "projects", request_body = ProjectMemberBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_project_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ProjectMemberBody>,
) -> ApiResult<StatusCode> {
    s.service
        .add_project_member(&ctx, parse_id(&id, "project")?, b.user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a user from the project and its project-level groups.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/members/{user}", tag = "projects",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_project_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let project = parse_id(&id, "project")?;
    s.service
        .remove_project_member(&ctx, project, parse_id(&user, "project member")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
