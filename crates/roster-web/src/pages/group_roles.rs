//! The Roles tab of a group's pane (ThingsBoard's "Roles" of a user group): the group's
//! grants with revoke, and adding a role — Generic (on a tenant, customer or project) or
//! Group (on a resource group, an "entity group").

use super::group_details;
use super::groups;
use super::names::{self, Roles};
use super::panes::{self, Answer};
use crate::choices::Owner;
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use roster_core::model::{Effect, Grant, GrantQuery, Group, ScopeKind};
use roster_core::page::PageReq;
use roster_core::service::CreateGrant;
use roster_core::{CoreError, Id};

/// Grants shown per page.
const GRANTS_PAGE: u32 = 50;
/// At most this many roles and resource groups are offered.
const CHOICES: u32 = 200;

/// One grant as a row: what it gives, where, and how.
pub struct GrantRow {
    /// The grant.
    pub id: Id,
    /// The role's name, or the inline permissions.
    pub gives: String,
    /// Generic, Group, Resource or Access panel.
    pub kind: &'static str,
    /// The scope's kind in words.
    pub scope_kind: &'static str,
    /// The scope's name.
    pub scope: String,
    /// The scope's page.
    pub scope_href: Option<String>,
    /// Whether it denies.
    pub deny: bool,
    /// Its validity window in words.
    pub window: String,
}

/// A grant as a row.
pub async fn grant_row(
    s: &WebState,
    who: &Signed,
    owners: &[Owner],
    roles: &mut Roles,
    g: &Grant,
) -> GrantRow {
    let scope = names::scope(s, who, owners, g.scope, g.scope_kind).await;
    GrantRow {
        id: g.id,
        gives: roles.gives(s, who, g).await,
        kind: match (g.role.is_some(), g.scope_kind) {
            (false, _) => "Permissions",
            (true, ScopeKind::Node | ScopeKind::Project) => "Generic",
            (true, ScopeKind::ResourceGroup) => "Group",
            (true, ScopeKind::Resource) => "Resource",
        },
        scope_kind: scope.kind,
        scope: scope.name,
        scope_href: scope.href,
        deny: g.effect == Effect::Deny,
        window: panes::window_label(g.valid_from, g.valid_until),
    }
}

struct Choice {
    id: Id,
    label: String,
}

/// The form as typed.
#[derive(Default)]
struct Typed {
    role_type: String,
    role: Option<Id>,
    scope: Option<Id>,
    resource_group: Option<Id>,
}

#[derive(Template)]
#[template(path = "groups/roles.html")]
struct RolesPane<'a> {
    csrf: &'a str,
    tabs: String,
    group: &'a Group,
    grants: Vec<GrantRow>,
    more: Option<String>,
    roles: Vec<Choice>,
    scopes: Vec<Choice>,
    resource_groups: Vec<Choice>,
    v: &'a Typed,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The roles pane of group `id`.
async fn render_pane(
    s: &WebState,
    who: &Signed,
    id: Id,
    cursor: Option<&str>,
    typed: Option<Typed>,
    notice: Option<String>,
    mut errors: FormErrors,
) -> String {
    let ctx = &who.ctx;
    let group = match s.service.get_group(ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let owners = groups::owner_choices(s, who).await;
    let query = GrantQuery {
        subject: Some(id),
        ..GrantQuery::default()
    };
    let listed = match PageReq::parse(Some(GRANTS_PAGE), cursor) {
        Ok(p) => s.service.list_grants(ctx, &query, p).await,
        Err(e) => Err(e),
    };
    let mut roles_named = Roles::default();
    let mut grants = Vec::new();
    let mut more = None;
    match listed {
        Ok(p) => {
            for g in &p.items {
                grants.push(grant_row(s, who, &owners, &mut roles_named, g).await);
            }
            more = p.next_cursor;
        }
        Err(e) => {
            errors.general.get_or_insert(panes::words(&e));
        }
    }
    let first = PageReq {
        after: None,
        limit: CHOICES,
    };
    let roles = s
        .service
        .list_roles(ctx, None, None, first)
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .map(|r| Choice {
            label: if r.builtin {
                format!("{} (built in)", r.name)
            } else {
                r.name
            },
            id: r.id,
        })
        .collect();
    let projects = s.service.group_projects(ctx, id).await.unwrap_or_default();
    let mut scopes: Vec<Choice> = projects
        .into_iter()
        .map(|p| Choice {
            id: p.id,
            label: format!("Project {}", p.name),
        })
        .collect();
    scopes.extend(owners.iter().map(|o| Choice {
        id: o.id,
        label: o.label.clone(),
    }));
    let resource_groups = s
        .service
        .list_resource_groups(ctx, None, None, first)
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .map(|g| Choice {
            id: g.id,
            label: g.name,
        })
        .collect();
    let v = typed.unwrap_or_else(|| Typed {
        role_type: "generic".into(),
        scope: Some(group.owner),
        ..Typed::default()
    });
    render::text(&RolesPane {
        csrf: &who.csrf,
        tabs: group_details::tabs(id, "roles"),
        group: &group,
        grants,
        more,
        roles,
        scopes,
        resource_groups,
        v: &v,
        notice: notice.as_deref(),
        errors: &errors,
    })
}

/// `GET /groups/{id}/roles`: the group's grants (`?grants=CURSOR` pages) and the add form.
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let cursor = FormData::parse(q.unwrap_or_default().as_bytes()).get("grants");
    let pane = render_pane(
        &s,
        &who,
        id,
        cursor.as_deref(),
        None,
        None,
        FormErrors::none(),
    )
    .await;
    let a = Answer::ok(pane).at(format!("/groups/{id}/roles"));
    groups::answer(&s, &who, &headers, a).await
}

/// `POST /groups/{id}/roles`: grants the chosen role — Generic on the chosen tenant,
/// customer or project, Group on the chosen resource group.
pub async fn add(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = Typed {
        role_type: form
            .get("role_type")
            .filter(|t| t == "group")
            .unwrap_or_else(|| "generic".into()),
        role: form.id("role"),
        scope: form.id("scope"),
        resource_group: form.id("resource_group"),
    };
    let scope = if v.role_type == "group" {
        v.resource_group
            .ok_or_else(|| CoreError::invalid("required", "resource_group", "choose one"))
    } else {
        v.scope
            .ok_or_else(|| CoreError::invalid("required", "scope", "choose one"))
    };
    let result = match (scope, v.role) {
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(CoreError::invalid("required", "role", "choose one")),
        (Ok(scope), Some(role)) => {
            let input = CreateGrant {
                subject: id,
                role: Some(role),
                permissions: Vec::new(),
                scope,
                effect: None,
                valid_from: None,
                valid_until: None,
            };
            s.service.create_grant(&who.ctx, input).await
        }
    };
    let (status, pane) = match result {
        Ok(_) => (
            panes::status_for(false),
            render_pane(
                &s,
                &who,
                id,
                None,
                None,
                Some("Role added.".into()),
                FormErrors::none(),
            )
            .await,
        ),
        Err(e) => {
            let errors = FormErrors::from_core_renamed(
                &e,
                &["role", "scope", "resource_group"],
                &[(
                    "scope",
                    if v.role_type == "group" {
                        "resource_group"
                    } else {
                        "scope"
                    },
                )],
            );
            (
                panes::status_for(true),
                render_pane(&s, &who, id, None, Some(v), None, errors).await,
            )
        }
    };
    groups::answer(&s, &who, &headers, Answer::ok(pane).status(status)).await
}

/// `POST /groups/{id}/roles/revoke`: revokes one of the group's grants.
pub async fn revoke(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("grant") {
        Some(g) => s.service.delete_grant(&who.ctx, g, None).await,
        None => Err(CoreError::not_found("grant")),
    };
    let (notice, errors) = match result {
        Ok(()) => (Some("Revoked.".to_string()), FormErrors::none()),
        Err(e) => (None, FormErrors::general(panes::words(&e))),
    };
    let status = panes::status_for(!errors.is_empty());
    let pane = render_pane(&s, &who, id, None, None, notice, errors).await;
    groups::answer(&s, &who, &headers, Answer::ok(pane).status(status)).await
}
