//! The audit log: appended to, read newest first.

use crate::error::{db_err, other};
use crate::filters;
use crate::rows::{self, micros, AUDIT_COLUMNS};
use roster_core::model::{AuditEvent, AuditQuery};
use roster_core::page::PageReq;
use roster_core::store::{StoreResult, TenantScope};
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// Rows per multi-row `INSERT` (10 parameters each, well under PostgreSQL's 65,535).
const EVENTS_PER_STATEMENT: usize = 1000;

pub(crate) async fn insert(conn: &mut PgConnection, event: &AuditEvent) -> StoreResult<()> {
    insert_many(conn, std::slice::from_ref(event)).await
}

/// Appends events with multi-row statements.
pub(crate) async fn insert_many(conn: &mut PgConnection, events: &[AuditEvent]) -> StoreResult<()> {
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let mut q = QueryBuilder::new("");
        push_insert(&mut q, chunk)?;
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Pushes one multi-row statement that appends `events` (at most [`EVENTS_PER_STATEMENT`]).
pub(crate) fn push_insert(
    q: &mut QueryBuilder<'_, Postgres>,
    events: &[AuditEvent],
) -> StoreResult<()> {
    let summaries = events
        .iter()
        .map(|e| serde_json::to_string(&e.summary))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| other(format!("cannot encode audit summary: {e}")))?;
    q.push(
        "INSERT INTO audit_events (id, time, tenant_id, actor_id, impersonator_id, action, \
         target_id, summary, request_id, address) ",
    );
    q.push_values(events.iter().zip(summaries), |mut b, (event, summary)| {
        b.push_bind(event.id)
            .push_bind(micros(event.time))
            .push_bind(event.tenant)
            .push_bind(event.actor)
            .push_bind(event.impersonator)
            .push_bind(event.action.clone())
            .push_bind(event.target)
            .push_bind(summary)
            .push_bind(event.request_id.clone())
            .push_bind(event.address.clone());
    });
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
