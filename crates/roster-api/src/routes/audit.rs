//! `/audit`.

use crate::dto::*;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authed};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use roster_core::model::AuditQuery;
use roster_core::page::PageReq;

/// Audit events, newest first, filtered by actor, target, action and time.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams, Paging),
    responses((status = 200, body = ListOf<AuditEventDto>), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(s): State<AppState>,
    Authed(ctx): Authed,
    ApiQuery(f): ApiQuery<AuditParams>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<ListOf<AuditEventDto>>> {
    let page = PageReq::parse(p.limit, p.cursor.as_deref())?;
    let query = AuditQuery {
        actor: f.actor,
        target: f.target,
        action: f.action,
        since: f.since,
        until: f.until,
    };
    let rows = s.service.list_audit(&ctx, &query, page).await?;
    Ok(Json(ListOf::from_page(rows, AuditEventDto::from)))
}
