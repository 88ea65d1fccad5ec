//! Names for the ids a grant holds: its scope (a tenant, customer, project, resource group or
//! resource), its subject (a user or group) and its role, looked up through the service as the
//! caller sees them.

use crate::choices::{self, Owner};
use crate::session::Signed;
use crate::WebState;
use roster_core::model::{Grant, Role, ScopeKind, SubjectKind};
use roster_core::{Id, SYSTEM_NODE_ID};
use std::collections::hash_map::{Entry, HashMap};

/// A grant's scope: what kind of thing, its name, and where its page is.
pub struct ScopeName {
    /// "Tenant or customer", "Project", "Resource group", "Resource".
    pub kind: &'static str,
    /// Its name (with ancestry for org nodes), or a dash when out of sight.
    pub name: String,
    /// Its page in the console, if it has one.
    pub href: Option<String>,
}

/// The name of scope `id` of `kind`.
pub async fn scope(
    s: &WebState,
    who: &Signed,
    owners: &[Owner],
    id: Id,
    kind: ScopeKind,
) -> ScopeName {
    let ctx = &who.ctx;
    let (label, name, href) = match kind {
        ScopeKind::Node => (
            "Tenant or customer",
            if id == SYSTEM_NODE_ID {
                "System".to_string()
            } else {
                choices::owner_label(owners, id)
            },
            Some(format!("/customers/{id}")),
        ),
        ScopeKind::Project => (
            "Project",
            s.service
                .get_project(ctx, id)
                .await
                .map(|p| p.name)
                .unwrap_or_default(),
            Some(format!("/projects/{id}")),
        ),
        ScopeKind::ResourceGroup => (
            "Resource group",
            s.service
                .get_resource_group(ctx, id)
                .await
                .map(|g| g.name)
                .unwrap_or_default(),
            Some(format!("/resource-groups/{id}")),
        ),
        ScopeKind::Resource => (
            "Resource",
            s.service
                .get_resource(ctx, id)
                .await
                .map(|r| format!("{} ({})", r.name, r.rtype))
                .unwrap_or_default(),
            Some(format!("/resources/{id}")),
        ),
    };
    ScopeName {
        kind: label,
        name: if name.is_empty() { "—".into() } else { name },
        href,
    }
}

/// The name of a grant's subject and its page: a user's login or a group's name.
pub async fn subject(s: &WebState, who: &Signed, g: &Grant) -> (String, String) {
    match g.subject_kind {
        SubjectKind::User => (
            s.service
                .get_user(&who.ctx, g.subject)
                .await
                .map(|u| u.login)
                .unwrap_or_else(|_| "—".into()),
            format!("/users/{}", g.subject),
        ),
        SubjectKind::Group => (
            s.service
                .get_group(&who.ctx, g.subject)
                .await
                .map(|g| g.name)
                .unwrap_or_else(|_| "—".into()),
            format!("/groups/{}", g.subject),
        ),
    }
}

/// Role names looked up once each.
#[derive(Default)]
pub struct Roles(HashMap<Id, Option<Role>>);

impl Roles {
    /// The role `id`, if the caller may see it.
    pub async fn get(&mut self, s: &WebState, who: &Signed, id: Id) -> Option<&Role> {
        if let Entry::Vacant(slot) = self.0.entry(id) {
            slot.insert(s.service.get_role(&who.ctx, id).await.ok());
        }
        self.0.get(&id).and_then(Option::as_ref)
    }

    /// What a grant gives, in words: its role's name, or its inline permissions.
    pub async fn gives(&mut self, s: &WebState, who: &Signed, g: &Grant) -> String {
        match g.role {
            Some(r) => self
                .get(s, who, r)
                .await
                .map_or_else(|| "—".to_string(), |r| r.name.clone()),
            None => g.permissions.join(", "),
        }
    }
}
