//! Reading the audit log.

use super::{Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::model::{AuditEvent, AuditQuery};
use crate::page::{Page, PageReq};

impl Service {
    /// Audit events, newest first: all of them for system administrators, the tenant's for
    /// its administrators.
    pub async fn list_audit(
        &self,
        ctx: &Ctx,
        query: &AuditQuery,
        page: PageReq,
    ) -> CoreResult<Page<AuditEvent>> {
        if !self.may(ctx, "audit", "read", ctx.actor.tenant) {
            return Err(CoreError::forbidden(
                "reading the audit log needs tenant administrator rights",
            ));
        }
        let mut tx = self.read().await?;
        let rows = tx
            .list_audit(ctx.actor.scope(), query, page.probe())
            .await?;
        Ok(page.finish(rows, |e| e.id))
    }
}
