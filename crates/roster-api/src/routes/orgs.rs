//! `/tenants` and `/customers`.

use super::tagged;
use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{parse_id, ApiJson, ApiQuery, Authed, IfMatch};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use roster_core::model::OrgKind;
use roster_core::page::PageReq;
use roster_core::service::{OrgFilter, UpdateOrgNode};

/// List tenants (system administrators see all; others the tenant they administer).
#[utoipa::path(get, path = "/api/v1/tenants", tag = "org",
    params(OrgListParams, Paging),
    responses((status = 200, body = ListOf<TenantDto>), (status = 401, body = ErrorBody)))]
pub async fn list_tenants(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<OrgListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<TenantDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let filter = OrgFilter {
        parent: None,
        q: f.q,
    };
    let rows = s
        .service
        .list_org_nodes(&ctx, OrgKind::Tenant, &filter, page)
        .await?;
    Ok(Json(ListOf::from_page(rows, TenantDto::from)))
}

/// Create a tenant, with its predefined groups (system administrators only).
#[utoipa::path(post, path = "/api/v1/tenants", tag = "org", request_body = CreateTenant,
    responses((status = 201, body = TenantDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_tenant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateTenant>,
) -> ApiResult<Response> {
    let n = s.service.create_tenant(&ctx, &b.name).await?;
    Ok(tagged(StatusCode::CREATED, n.version, TenantDto::from(n)))
}

/// One tenant.
#[utoipa::path(get, path = "/api/v1/tenants/{id}", tag = "org",
    responses((status = 200, body = TenantDto), (status = 404, body = ErrorBody)))]
pub async fn get_tenant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let n = s
        .service
        .get_org_node(&ctx, OrgKind::Tenant, parse_id(&id, "tenant")?)
        .await?;
    Ok(tagged(StatusCode::OK, n.version, TenantDto::from(n)))
}

/// Rename a tenant.
#[utoipa::path(patch, path = "/api/v1/tenants/{id}", tag = "org", request_body = UpdateOrg,
    responses((status = 200, body = TenantDto), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_tenant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateOrg>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "tenant")?;
    let n = s
        .service
        .update_org_node(
            &ctx,
            OrgKind::Tenant,
            id,
            &UpdateOrgNode { name: b.name },
            v,
        )
        .await?;
    Ok(tagged(StatusCode::OK, n.version, TenantDto::from(n)))
}

/// Delete an empty tenant.
#[utoipa::path(delete, path = "/api/v1/tenants/{id}", tag = "org",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_tenant(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_org_node(&ctx, OrgKind::Tenant, parse_id(&id, "tenant")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List customers the caller administers.
#[utoipa::path(get, path = "/api/v1/customers", tag = "org",
    params(OrgListParams, Paging),
    responses((status = 200, body = ListOf<CustomerDto>), (status = 401, body = ErrorBody)))]
pub async fn list_customers(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<OrgListParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<CustomerDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let filter = OrgFilter {
        parent: f.parent,
        q: f.q,
    };
    let rows = s
        .service
        .list_org_nodes(&ctx, OrgKind::Customer, &filter, page)
        .await?;
    Ok(Json(ListOf::from_page(rows, CustomerDto::from)))
}

/// Create a customer under a tenant or customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "org", request_body = CreateCustomer,
    responses((status = 201, body = CustomerDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiJson(b): ApiJson<CreateCustomer>,
) -> ApiResult<Response> {
    let n = s.service.create_customer(&ctx, &b.name, b.parent).await?;
    Ok(tagged(StatusCode::CREATED, n.version, CustomerDto::from(n)))
}

/// One customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "org",
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let n = s
        .service
        .get_org_node(&ctx, OrgKind::Customer, parse_id(&id, "customer")?)
        .await?;
    Ok(tagged(StatusCode::OK, n.version, CustomerDto::from(n)))
}

/// Rename a customer.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "org", request_body = UpdateOrg,
    responses((status = 200, body = CustomerDto), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn update_customer(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
    ApiJson(b): ApiJson<UpdateOrg>,
) -> ApiResult<Response> {
    let id = parse_id(&id, "customer")?;
    let n = s
        .service
        .update_org_node(
            &ctx,
            OrgKind::Customer,
            id,
            &UpdateOrgNode { name: b.name },
            v,
        )
        .await?;
    Ok(tagged(StatusCode::OK, n.version, CustomerDto::from(n)))
}

/// Delete an empty customer.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "org",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_customer(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    Path(id): Path<String>,
    IfMatch(v): IfMatch,
) -> ApiResult<StatusCode> {
    s.service
        .delete_org_node(&ctx, OrgKind::Customer, parse_id(&id, "customer")?, v)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
