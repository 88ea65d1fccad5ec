//! The audit log: appended to, read newest first.

use crate::error::{db_err, other};
use crate::filters;
use crate::rows::{self, micros, AUDIT_COLUMNS};
use roster_core::model::{AuditEvent, AuditQuery};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use sqlx::{PgConnection, QueryBuilder};

pub(crate) async fn insert(conn: &mut PgConnection, event: &AuditEvent) -> StoreResult<()> {
    let summary = serde_json::to_string(&event.summary)
        .map_err(|e| other(format!("cannot encode audit summary: {e}")))?;
    sqlx::query(
        "INSERT INTO audit_events (id, time, tenant_id, actor_id, impersonator_id, action, \
         target_id, summary, request_id, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(event.id)
    .bind(micros(event.time))
    .bind(event.tenant)
    .bind(event.actor)
    .bind(event.impersonator)
    .bind(&event.action)
    .bind(event.target)
    .bind(summary)
    .bind(&event.request_id)
    .bind(&event.address)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Newest first: ids descending, continuing below `page.after`. An action ending in `.` is a
/// family and matches every action it starts.
pub(crate) async fn list(
    conn: &mut PgConnection,
    scope: TenantScope,
    query: &AuditQuery,
    page: PageReq,
) -> StoreResult<Vec<AuditEvent>> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events a WHERE TRUE"
    ));
    filters::scope(&mut q, "a.tenant_id", scope);
    if let Some(actor) = query.actor {
        filters::id_eq(&mut q, "a.actor_id", actor);
    }
    if let Some(target) = query.target {
        filters::id_eq(&mut q, "a.target_id", target);
    }
    match query.action.as_deref() {
        Some(family) if family.ends_with('.') => filters::prefix(&mut q, "a.action", family),
        Some(action) => filters::text_eq(&mut q, "a.action", action),
        None => {}
    }
    if let Some(since) = query.since {
        q.push(" AND a.time >= ").push_bind(micros(since));
    }
    if let Some(until) = query.until {
        q.push(" AND a.time < ").push_bind(micros(until));
    }
    filters::after(&mut q, "a.id", page, true);
    filters::order_limit(&mut q, "a.id", page, true);
    let rows = q.build().fetch_all(conn).await.map_err(db_err)?;
    rows::all(rows, rows::audit_event)
}
