//! `/resource-types`, `/resources` and `/resource-groups`.

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
use roster_core::service::{CreateResource, CreateResourceGroup, ResourceFilter};

/// Every resource type: roster's own and the registered ones.
#[utoipa::path(get, path = "/api/v1/resource-types", tag = "access",
    responses((status = 200, body = Vec<ResourceTypeDto>), (status = 401, body = ErrorBody)))]
pub async fn list_resource_types(
    State(s): State<AppState>,
    Authed(ctx): Authed,
) -> ApiResult<Json<Vec<ResourceTypeDto>>> {
    let types = s.service.list_resource_types(&ctx).await?;
    Ok(Json(types.into_iter().map(Into::into).collect()))
}

/// Register a resource type with its actions (or replace the actions of a registered one).
#[utoipa::path(post, path = "/api/v1/resource-types", tag = "access", request_body = ResourceTypeBody,
    responses((status = 201, body = ResourceTypeDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_resource_type(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<ResourceTypeBody>,
) -> ApiResult<(StatusCode, Json<ResourceTypeDto>)> {
    let t = s
        .service
        .put_resource_type(&ctx, &b.name, &b.actions)
        .await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// One resource type.
#[utoipa::path(get, path = "/api/v1/resource-types/{name}", tag = "access",
    responses((status = 200, body = ResourceTypeDto), (status = 404, body = ErrorBody)))]
pub async fn get_resource_type(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(name): Path<String>,
) -> ApiResult<Json<ResourceTypeDto>> {
    Ok(Json(s.service.get_resource_type(&ctx, &name).await?.into()))
}

/// Replace a registered type's actions.
#[utoipa::path(patch, path = "/api/v1/resource-types/{name}", tag = "access", request_body = UpdateResourceTypeBody,
    responses((status = 200, body = ResourceTypeDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_resource_type(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(name): Path<String>,
    ApiJson(b): ApiJson<UpdateResourceTypeBody>,
) -> ApiResult<Json<ResourceTypeDto>> {
    s.service.get_resource_type(&ctx, &name).await?;
    let t = s.service.put_resource_type(&ctx, &name, &b.actions).await?;
    Ok(Json(t.into()))
}

/// Remove a registered type no resource uses.
#[utoipa::path(delete, path = "/api/v1/resource-types/{name}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_resource_type(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    s.service.delete_resource_type(&ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List resources the caller may read.
#[utoipa::path(get, path = "/api/v1/resources", tag = "access", params(ResourceListParams, Paging),
    responses((status = 200, body = ListOf<ResourceDto>), (status = 401, body = ErrorBody)))]
pub async fn list_resources(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<ResourceListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<ResourceDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let filter = ResourceFilter {
        owner: f.owner,
        rtype: f.rtype,
        group: f.group,
        q: f.q,
    };
    let rows = s.service.list_resources(&ctx, &filter, page).await?;
    Ok(Json(ListOf::from_page(rows, ResourceDto::from)))
}

/// Create a resource of a registered type.
#[utoipa::path(post, path = "/api/v1/resources", tag = "access", request_body = CreateResourceBody,
    responses((status = 201, body = ResourceDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_resource(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateResourceBody>,
) -> ApiResult<Response> {
    let input = CreateResource {
        rtype: b.rtype,
        name: b.name,
        owner: b.owner,
    };
    let r = s.service.create_resource(&ctx, input).await?;
    Ok(tagged(StatusCode::CREATED, r.version, ResourceDto::from(r)))
}

/// One resource.
#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "access",
    responses((status = 200, body = ResourceDto), (status = 404, body = ErrorBody)))]
pub async fn get_resource(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let r = s
        .service
        .get_resource(&ctx, parse_id(&id, "resource")?)
        .await?;
    Ok(tagged(StatusCode::OK, r.version, ResourceDto::from(r)))
}

/// Rename a resource.
#[utoipa::path(patch, path = "/api/v1/resources/{id}", tag = "access", request_body = UpdateResourceBody,
    responses((status = 200, body = ResourceDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_resource(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateResourceBody>,
) -> ApiResult<Response> {
    let r = s
        .service
        .rename_resource(&ctx, parse_id(&id, "resource")?, &b.name, v)
        .await?;
    Ok(tagged(StatusCode::OK, r.version, ResourceDto::from(r)))
}

/// Delete a resource with the grants held on it.
#[utoipa::path(delete, path = "/api/v1/resources/{id}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_resource(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_resource(&ctx, parse_id(&id, "resource")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List resource groups the caller may read.
#[utoipa::path(get, path = "/api/v1/resource-groups", tag = "access", params(OwnedListParams, Paging),
    responses((status = 200, body = ListOf<ResourceGroupDto>), (status = 401, body = ErrorBody)))]
pub async fn list_resource_groups(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<OwnedListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<ResourceGroupDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let rows = s
        .service
        .list_resource_groups(&ctx, f.owner, f.q.as_deref(), page)
        .await?;
    Ok(Json(ListOf::from_page(rows, ResourceGroupDto::from)))
}

/// Create a resource group ("system group", "entity group").
#[utoipa::path(post, path = "/api/v1/resource-groups", tag = "access", request_body = CreateResourceGroupBody,
    responses((status = 201, body = ResourceGroupDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_resource_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateResourceGroupBody>,
) -> ApiResult<Response> {
    let input = CreateResourceGroup {
        name: b.name,
        description: b.description,
        owner: b.owner,
    };
    let g = s.service.create_resource_group(&ctx, input).await?;
    Ok(tagged(
        StatusCode::CREATED,
        g.version,
        ResourceGroupDto::from(g),
    ))
}

/// One resource group.
#[utoipa::path(get, path = "/api/v1/resource-groups/{id}", tag = "access",
    responses((status = 200, body = ResourceGroupDto), (status = 404, body = ErrorBody)))]
pub async fn get_resource_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let g = s
        .service
        .get_resource_group(&ctx, parse_id(&id, "resource group")?)
        .await?;
    Ok(tagged(StatusCode::OK, g.version, ResourceGroupDto::from(g)))
}

/// Delete a resource group with the grants held on it; its resources stay.
#[utoipa::path(delete, path = "/api/v1/resource-groups/{id}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_resource_group(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_resource_group(&ctx, parse_id(&id, "resource group")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put a resource in a resource group.
#[utoipa::path(post, path = "/api/v1/resource-groups/{id}/members", tag = "access", request_body = ResourceMemberBody,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_resource_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResourceMemberBody>,
) -> ApiResult<StatusCode> {
    s.service
        .add_resource_to_group(&ctx, parse_id(&id, "resource group")?, b.resource)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a resource out of a resource group.
#[utoipa::path(delete, path = "/api/v1/resource-groups/{id}/members/{resource}", tag = "access",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn remove_resource_member(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path((id, resource)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let group = parse_id(&id, "resource group")?;
    s.service
        .remove_resource_from_group(&ctx, group, parse_id(&resource, "resource")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
