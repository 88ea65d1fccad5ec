//! Grants: a subject's role, or inline permissions, on a scope, allowed or denied, optionally
//! bounded in time — and never more than the granting administrator holds there.

use super::roles::checked_permissions;
use super::{audit, check_version, Ctx, Service};
use crate::access::builtin::{builtin_role, ADMINISTRATOR_ROLE, READ_ONLY_ROLE};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, Timestamp};
use crate::lists::grants_of_subject;
use crate::model::{
    AccessChange, AccessKind, Effect, Grant, GrantQuery, GroupKind, ScopeKind, SubjectKind,
};
use crate::page::{Page, PageReq};
use crate::store::{StoreTx, TenantScope};
use serde_json::json;

/// What an administrator fills in to create a grant.
#[derive(Debug, Clone)]
pub struct CreateGrant {
    /// The user or group given it.
    pub subject: Id,
    /// The role granted (or `None` with `permissions`).
    pub role: Option<Id>,
    /// Inline permissions (or empty with `role`).
    pub permissions: Vec<String>,
    /// The org node, project, resource group or resource it holds on.
    pub scope: Id,
    /// Allow (default) or deny.
    pub effect: Option<Effect>,
    /// Not effective before.
    pub valid_from: Option<Timestamp>,
    /// Not effective from.
    pub valid_until: Option<Timestamp>,
}

/// A change to a grant's effect or validity.
#[derive(Debug, Clone, Default)]
pub struct UpdateGrant {
    /// New effect.
    pub effect: Option<Effect>,
    /// New start (`Some(None)` removes it).
    pub valid_from: Option<Option<Timestamp>>,
    /// New end (`Some(None)` removes it).
    pub valid_until: Option<Option<Timestamp>>,
}

/// Refuses a validity window (of a grant or a membership) that ends before it starts.
pub(super) fn check_window(from: Option<Timestamp>, until: Option<Timestamp>) -> CoreResult<()> {
    match (from, until) {
        (Some(f), Some(u)) if u <= f => Err(CoreError::invalid(
            "invalid_validity",
            "valid_until",
            "valid_until must be later than valid_from",
        )),
        _ => Ok(()),
    }
}

impl Service {
    /// Creates a grant (`grant:create` on the scope, and holding what it gives there).
    pub async fn create_grant(&self, ctx: &Ctx, input: CreateGrant) -> CoreResult<Grant> {
        self.retrying(|| self.create_grant_once(ctx, &input)).await
    }

    async fn create_grant_once(&self, ctx: &Ctx, input: &CreateGrant) -> CoreResult<Grant> {
        check_window(input.valid_from, input.valid_until)?;
        let mut tx = self.write().await?;
        let (scope_kind, scope_tenant) = self.scope_of(tx.as_mut(), ctx, input.scope).await?;
        let (subject_kind, subject_tenant) =
            self.subject_of(tx.as_mut(), ctx, input.subject).await?;
        if subject_tenant != scope_tenant && subject_tenant != crate::SYSTEM_NODE_ID {
            return Err(CoreError::invalid(
                "unknown_scope",
                "scope",
                "the scope lies in another tenant than the subject",
            ));
        }
        let (role, permissions) = match (input.role, input.permissions.is_empty()) {
            (Some(r), true) => {
                if builtin_role(r).is_none() {
                    self.visible_role(tx.as_mut(), ctx, r).await.map_err(|_| {
                        CoreError::invalid("unknown_role", "role", "role does not exist")
                    })?;
                }
                (Some(r), Vec::new())
            }
            (None, false) => (
                None,
                checked_permissions(tx.as_mut(), "permissions", &input.permissions).await?,
            ),
            _ => {
                return Err(CoreError::invalid(
                    "role_or_permissions",
                    "role",
                    "give either a role or a list of permissions",
                ))
            }
        };
        self.require(ctx, "grant", "create", input.scope)?;
        let at = now();
        let g = Grant {
            id: new_id(),
            tenant: scope_tenant,
            subject: input.subject,
            subject_kind,
            role,
            permissions,
            scope: input.scope,
            scope_kind,
            effect: input.effect.unwrap_or(Effect::Allow),
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        self.require_holds_all(ctx, std::slice::from_ref(&g))?;
        tx.insert_grant(&g).await?;
        audit(
            tx.as_mut(),
            ctx,
            g.tenant,
            "grant.create",
            Some(g.id),
            json!({"subject": g.subject, "role": g.role, "permissions": g.permissions,
                   "scope": g.scope, "effect": g.effect,
                   "valid_from": g.valid_from, "valid_until": g.valid_until}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::Grant, g.id)])
            .await?;
        Ok(g)
    }

    /// Sets a subject's inline permissions on a scope, as an access panel saves them: all
    /// rows together, in one transaction. Afterwards the subject's inline grants on the scope
    /// without a validity window are one allow grant of `allow` and one deny grant of `deny`
    /// (none where the list is empty); time-bound inline grants and role grants stay as they
    /// are. Needs `grant:create` on the scope to add and `grant:delete` to take away, and
    /// holding what `allow` gives there.
    pub async fn set_inline_grants(
        &self,
        ctx: &Ctx,
        subject: Id,
        scope: Id,
        allow: &[String],
        deny: &[String],
    ) -> CoreResult<Vec<Grant>> {
        self.retrying(|| self.set_inline_grants_once(ctx, subject, scope, allow, deny))
            .await
    }

    async fn set_inline_grants_once(
        &self,
        ctx: &Ctx,
        subject: Id,
        scope: Id,
        allow: &[String],
        deny: &[String],
    ) -> CoreResult<Vec<Grant>> {
        let mut tx = self.write().await?;
        let (scope_kind, scope_tenant) = self.scope_of(tx.as_mut(), ctx, scope).await?;
        let (subject_kind, subject_tenant) = self.subject_of(tx.as_mut(), ctx, subject).await?;
        if subject_tenant != scope_tenant && subject_tenant != crate::SYSTEM_NODE_ID {
            return Err(CoreError::invalid(
                "unknown_scope",
                "scope",
                "the scope lies in another tenant than the subject",
            ));
        }
        let mut wanted = Vec::new();
        for (effect, field, perms) in [
            (Effect::Allow, "allow", allow),
            (Effect::Deny, "deny", deny),
        ] {
            if !perms.is_empty() {
                wanted.push((
                    effect,
                    checked_permissions(tx.as_mut(), field, perms).await?,
                ));
            }
        }
        if let [(_, allowed), (_, denied)] = wanted.as_slice() {
            if let Some(both) = allowed.iter().find(|p| denied.contains(p)) {
                return Err(CoreError::invalid(
                    "allow_and_deny",
                    "deny",
                    format!("{both} cannot be both allowed and denied"),
                ));
            }
        }
        let existing: Vec<Grant> = grants_of_subject(tx.as_mut(), subject)
            .await?
            .into_iter()
            .filter(|g| {
                g.scope == scope
                    && g.role.is_none()
                    && g.valid_from.is_none()
                    && g.valid_until.is_none()
            })
            .collect();
        let unchanged = existing.len() == wanted.len()
            && wanted.iter().all(|(effect, perms)| {
                existing
                    .iter()
                    .any(|g| g.effect == *effect && g.permissions == *perms)
            });
        if unchanged {
            return Ok(existing);
        }
        if !existing.is_empty() {
            self.require(ctx, "grant", "delete", scope)?;
        }
        if !wanted.is_empty() {
            self.require(ctx, "grant", "create", scope)?;
        }
        let at = now();
        let created: Vec<Grant> = wanted
            .into_iter()
            .map(|(effect, permissions)| Grant {
                id: new_id(),
                tenant: scope_tenant,
                subject,
                subject_kind,
                role: None,
                permissions,
                scope,
                scope_kind,
                effect,
                valid_from: None,
                valid_until: None,
                version: 1,
                created_at: at,
                updated_at: at,
            })
            .collect();
        self.require_holds_all(ctx, &created)?;
        let mut changes = Vec::new();
        for g in &existing {
            tx.delete_grant(g.id).await?;
            changes.push(AccessChange::new(AccessKind::Grant, g.id));
        }
        for g in &created {
            tx.insert_grant(g).await?;
            changes.push(AccessChange::new(AccessKind::Grant, g.id));
        }
        let listed = |effect: Effect| -> Vec<String> {
            created
                .iter()
                .filter(|g| g.effect == effect)
                .flat_map(|g| g.permissions.clone())
                .collect()
        };
        audit(
            tx.as_mut(),
            ctx,
            scope_tenant,
            "grant.set_inline",
            Some(subject),
            json!({"subject": subject, "scope": scope, "allow": listed(Effect::Allow),
                   "deny": listed(Effect::Deny),
                   "removed": existing.iter().map(|g| g.id).collect::<Vec<_>>(),
                   "created": created.iter().map(|g| g.id).collect::<Vec<_>>()}),
        )
        .await?;
        self.commit_access(tx, &changes).await?;
        Ok(created)
    }

    /// One grant, if the caller may read grants on its scope.
    pub async fn get_grant(&self, ctx: &Ctx, id: Id) -> CoreResult<Grant> {
        let mut tx = self.read().await?;
        self.visible_grant(tx.as_mut(), ctx, id).await
    }

    /// Grants on scopes where the caller may read grants, filtered, a page at a time.
    pub async fn list_grants(
        &self,
        ctx: &Ctx,
        query: &GrantQuery,
        page: PageReq,
    ) -> CoreResult<Page<Grant>> {
        let mut tx = self.read().await?;
        let rows: Vec<Grant> = tx
            .list_grants(ctx.actor.scope(), query, page.probe())
            .await?;
        // Filtered after paging: a page may come out short, and the cursor still continues.
        let mut result = page.finish(rows, |g| g.id);
        result
            .items
            .retain(|g| self.may(ctx, "grant", "read", g.scope));
        Ok(result)
    }

    /// Changes a grant's effect or validity (`grant:update` on its scope, holding what it
    /// gives).
    pub async fn update_grant(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateGrant,
        expected_version: Option<i64>,
    ) -> CoreResult<Grant> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let mut g = self.visible_grant(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "grant", "update", g.scope)?;
            check_version(expected_version, g.version)?;
            let before = g.clone();
            if let Some(e) = change.effect {
                g.effect = e;
            }
            if let Some(f) = change.valid_from {
                g.valid_from = f;
            }
            if let Some(u) = change.valid_until {
                g.valid_until = u;
            }
            check_window(g.valid_from, g.valid_until)?;
            if g == before {
                return Ok(g);
            }
            self.require_holds_all(ctx, std::slice::from_ref(&g))?;
            g.version += 1;
            g.updated_at = now();
            tx.update_grant(&g).await?;
            audit(
                tx.as_mut(),
                ctx,
                g.tenant,
                "grant.update",
                Some(g.id),
                json!({"effect": g.effect, "valid_from": g.valid_from, "valid_until": g.valid_until}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Grant, g.id)])
                .await?;
            Ok(g)
        })
        .await
    }

    /// Revokes a grant (`grant:delete` on its scope). The built-in grants of predefined groups
    /// stay.
    pub async fn delete_grant(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let g = self.visible_grant(tx.as_mut(), ctx, id).await?;
            self.require(ctx, "grant", "delete", g.scope)?;
            check_version(expected_version, g.version)?;
            if self.is_builtin_grant(tx.as_mut(), &g).await? {
                return Err(CoreError::conflict(
                    "builtin_grant",
                    "the rights of a predefined group are part of it and cannot be revoked",
                ));
            }
            tx.delete_grant(id).await?;
            audit(
                tx.as_mut(),
                ctx,
                g.tenant,
                "grant.delete",
                Some(id),
                json!({"subject": g.subject, "scope": g.scope, "role": g.role}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::Grant, id)])
                .await
        })
        .await
    }

    /// Whether `g` is what a predefined group holds by definition.
    async fn is_builtin_grant(&self, tx: &mut dyn StoreTx, g: &Grant) -> CoreResult<bool> {
        if g.subject_kind != SubjectKind::Group {
            return Ok(false);
        }
        let Some(group) = tx.get_group(TenantScope::All, g.subject).await? else {
            return Ok(false);
        };
        Ok(group.owner == g.scope
            && matches!(
                (group.kind, g.role),
                (GroupKind::Administrators, Some(ADMINISTRATOR_ROLE))
                    | (GroupKind::Users, Some(READ_ONLY_ROLE))
            ))
    }

    async fn visible_grant(&self, tx: &mut dyn StoreTx, ctx: &Ctx, id: Id) -> CoreResult<Grant> {
        tx.get_grant(ctx.actor.scope(), id)
            .await?
            .filter(|g| self.may(ctx, "grant", "read", g.scope))
            .ok_or_else(|| CoreError::not_found("grant"))
    }

    /// What a scope id names, and its tenant.
    async fn scope_of(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<(ScopeKind, Id)> {
        let scope = ctx.actor.scope();
        if let Some(n) = tx.get_org_node(scope, id).await? {
            return Ok((ScopeKind::Node, n.tenant));
        }
        if let Some(p) = tx.get_project(scope, id).await? {
            return Ok((ScopeKind::Project, p.tenant));
        }
        if let Some(g) = tx.get_resource_group(scope, id).await? {
            return Ok((ScopeKind::ResourceGroup, g.tenant));
        }
        if let Some(r) = tx.get_resource(scope, id).await? {
            return Ok((ScopeKind::Resource, r.tenant));
        }
        Err(CoreError::invalid(
            "unknown_scope",
            "scope",
            "scope does not name a tenant, customer, project, resource group or resource",
        ))
    }

    /// What a subject id names, and its tenant.
    async fn subject_of(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<(SubjectKind, Id)> {
        let scope = ctx.actor.scope();
        if let Some(u) = tx.get_user(scope, id).await? {
            return Ok((SubjectKind::User, u.tenant));
        }
        if let Some(g) = tx.get_group(scope, id).await? {
            return Ok((SubjectKind::Group, g.tenant));
        }
        Err(CoreError::invalid(
            "unknown_subject",
            "subject",
            "subject does not name a user or group",
        ))
    }
}
