//! The user details pane's "Roles and access": the user's grants (revoke), giving a role on a
//! scope, effective permissions, and "why?" — `explain`'s path or the deny that won, for a
//! permission in the list or a typed action and resource.

use super::user_details::{self, Extras};
use crate::choices::{self, Owner};
use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use roster_core::access::{DenyReason, Reaching, Step};
use roster_core::model::{Effect, GrantQuery, OrgKind, Role, User};
use roster_core::page::PageReq;
use roster_core::service::{CreateGrant, Explained, Question, ResourceFilter, UserFilter};
use roster_core::{CoreError, Id, SYSTEM_NODE_ID};
use std::collections::HashMap;

/// At most this many of the user's own grants are listed.
const GRANTS_SHOWN: u32 = 100;
/// At most this many roles, projects and resource groups are offered as choices.
const CHOICES: u32 = 200;
/// Users or resources looked at when a name is typed as the resource to ask about.
const LOOKUP_LIMIT: u32 = 20;

/// What the "Give a role" and "Why?" forms hold as typed, and the last answer.
#[derive(Debug, Default)]
pub struct AccessForms {
    /// The role chosen.
    pub role: Option<Id>,
    /// The scope chosen.
    pub scope: Option<Id>,
    /// `deny` when the grant takes away.
    pub effect: String,
    /// The action asked about.
    pub action: String,
    /// The resource asked about, as typed (a name or an id).
    pub resource: String,
    /// The answer to the last "why?".
    pub answer: Option<Answer>,
}

/// An explained decision in words.
#[derive(Debug)]
pub struct Answer {
    /// Allowed or not.
    pub allowed: bool,
    /// The verdict in a sentence.
    pub verdict: String,
    /// The allow grants that matched, one line each.
    pub path: Vec<String>,
    /// The deny grants that won, one line each.
    pub overridden_by: Vec<String>,
    /// A note (an exclusive project's rule), if any.
    pub note: Option<String>,
}

/// A choice in a select.
struct Choice {
    id: Id,
    label: String,
}

/// One of the user's own grants.
struct GrantRow {
    id: Id,
    what: String,
    scope: String,
    deny: bool,
}

/// One permission of an effective grant, with its "why?" link.
struct PermissionChip {
    text: String,
    why: String,
}

/// One grant in force reaching the user.
struct EffectiveRow {
    permissions: Vec<PermissionChip>,
    scope: String,
    through: String,
    role: String,
    deny: bool,
}

#[derive(Template)]
#[template(path = "users/access.html")]
struct AccessSection<'a> {
    csrf: &'a str,
    user: &'a User,
    grants: Vec<GrantRow>,
    more_grants: bool,
    roles: Vec<Choice>,
    scopes: Vec<Choice>,
    effective: Vec<EffectiveRow>,
    f: &'a AccessForms,
    errors: &'a FormErrors,
}

/// Names of the things grants mention: org nodes, projects, resource groups, roles, groups.
#[derive(Default)]
struct Labels {
    names: HashMap<Id, String>,
    /// The type an object's own actions are spelled with (`tenant`, `project`, `device`…).
    types: HashMap<Id, String>,
}

impl Labels {
    /// Labels knowing the caller's tenants and customers by their full names.
    fn of_owners(owners: &[Owner]) -> Labels {
        let mut labels = Labels::default();
        for o in owners {
            let rtype = match o.kind {
                OrgKind::Customer => "customer",
                _ => "tenant",
            };
            labels.add(o.id, o.label.clone(), rtype);
        }
        labels
    }

    fn add(&mut self, id: Id, label: String, rtype: &str) {
        self.names.insert(id, label);
        self.types.insert(id, rtype.to_string());
    }

    /// The name of `id`, looking up resources, projects, groups and roles not yet known.
    async fn name(&mut self, s: &WebState, who: &Signed, id: Id) -> String {
        if let Some(n) = self.names.get(&id) {
            return n.clone();
        }
        let node = match s.service.get_org_node(&who.ctx, OrgKind::Tenant, id).await {
            Ok(n) => Ok(n),
            Err(_) => {
                s.service
                    .get_org_node(&who.ctx, OrgKind::Customer, id)
                    .await
            }
        };
        let (label, rtype) = if id == SYSTEM_NODE_ID {
            ("System".to_string(), "tenant".to_string())
        } else if let Ok(n) = node {
            let rtype = match n.kind {
                OrgKind::Customer => "customer",
                _ => "tenant",
            };
            (n.name, rtype.to_string())
        } else if let Ok(r) = s.service.get_resource(&who.ctx, id).await {
            (format!("{} ({})", r.name, r.rtype), r.rtype)
        } else if let Ok(g) = s.service.get_group(&who.ctx, id).await {
            (format!("group {}", g.name), "group".to_string())
        } else if let Ok(r) = s.service.get_role(&who.ctx, id).await {
            (r.name, "role".to_string())
        } else if let Ok(p) = s.service.get_project(&who.ctx, id).await {
            (format!("project {}", p.name), "project".to_string())
        } else if let Ok(g) = s.service.get_resource_group(&who.ctx, id).await {
            (
                format!("resource group {}", g.name),
                "resource-group".to_string(),
            )
        } else {
            (short(id), String::new())
        };
        self.add(id, label.clone(), &rtype);
        label
    }
}

/// An id too long to read, shortened to its last characters.
fn short(id: Id) -> String {
    let text = id.to_string();
    format!("…{}", &text[text.len().saturating_sub(8)..])
}

/// The first page of a capped choice list.
fn first(limit: u32) -> PageReq {
    PageReq { after: None, limit }
}

/// The scopes a grant to `user` may hold on (their tenant's org nodes, projects and resource
/// groups, each list capped), labelled; and the labels of everything listed.
async fn scopes_for(
    s: &WebState,
    who: &Signed,
    user: &User,
    owners: &[Owner],
    labels: &mut Labels,
) -> Vec<Choice> {
    let mut out = Vec::new();
    for o in owners.iter().filter(|o| o.is_within(user.tenant)) {
        let rtype = match o.kind {
            OrgKind::Customer => "customer",
            _ => "tenant",
        };
        labels.add(o.id, o.label.clone(), rtype);
        out.push(Choice {
            id: o.id,
            label: o.label.clone(),
        });
    }
    for node in near_nodes(user) {
        if let Ok(p) = s
            .service
            .list_projects(&who.ctx, Some(node), None, first(CHOICES))
            .await
        {
            for p in p.items {
                let label = format!("Project {}", p.name);
                labels.add(p.id, label.clone(), "project");
                out.push(Choice { id: p.id, label });
            }
        }
        if let Ok(g) = s
            .service
            .list_resource_groups(&who.ctx, Some(node), None, first(CHOICES))
            .await
        {
            for g in g.items {
                let label = format!("Resource group {}", g.name);
                labels.add(g.id, label.clone(), "resource-group");
                out.push(Choice { id: g.id, label });
            }
        }
    }
    out
}

/// The org nodes whose projects, resource groups and roles are offered for a user: their
/// tenant and their own owner (each list a capped page, so an install with many tenants or
/// customers still offers the ones that matter).
fn near_nodes(user: &User) -> Vec<Id> {
    let mut nodes = vec![user.tenant];
    if user.owner != user.tenant {
        nodes.push(user.owner);
    }
    nodes
}

/// The roles the caller may give to a user: the built-in ones, and those of the user's tenant
/// and owner.
async fn roles_for(s: &WebState, who: &Signed, user: &User, labels: &mut Labels) -> Vec<Choice> {
    // Without an owner, the first page starts with the built-in roles.
    let mut roles: Vec<Role> = match s.service.list_roles(&who.ctx, None, None, first(1)).await {
        Ok(p) => p.items.into_iter().filter(|r| r.builtin).collect(),
        Err(_) => Vec::new(),
    };
    for node in near_nodes(user) {
        if let Ok(p) = s
            .service
            .list_roles(&who.ctx, Some(node), None, first(CHOICES))
            .await
        {
            roles.extend(p.items);
        }
    }
    roles
        .into_iter()
        .map(|r| {
            labels.add(r.id, r.name.clone(), "role");
            Choice {
                id: r.id,
                label: if r.builtin {
                    format!("{} (built-in)", r.name)
                } else {
                    r.name
                },
            }
        })
        .collect()
}

/// The "why?" link of permission `p` of a grant on `scope`: the question it stands for, on
/// the scope itself when the permission applies to the scope's own type.
fn why_link(user: Id, p: &str, scope: Id, scope_type: Option<&String>) -> String {
    let (rtype, action) = p.split_once(':').unwrap_or(("*", p));
    let fits = rtype == "*" || scope_type.is_some_and(|t| t == rtype);
    let mut q = form_urlencoded::Serializer::new(String::new());
    match (fits, action) {
        (true, "*") => q.append_pair("action", ""),
        (true, a) if rtype == "*" => q.append_pair("action", a),
        _ => q.append_pair("action", p),
    };
    if fits {
        q.append_pair("resource", &scope.to_string());
    }
    format!("/users/{user}/why?{}", q.finish())
}

/// The "Roles and access" section of user `user`'s pane.
pub async fn render_section(
    s: &WebState,
    who: &Signed,
    user: &User,
    owners: &[Owner],
    group_names: &[(Id, String)],
    f: &AccessForms,
    errors: &FormErrors,
) -> String {
    let mut labels = Labels::default();
    for (id, name) in group_names {
        labels.add(*id, format!("group {name}"), "group");
    }
    let scopes = scopes_for(s, who, user, owners, &mut labels).await;
    let roles = roles_for(s, who, user, &mut labels).await;
    let query = GrantQuery {
        subject: Some(user.id),
        ..GrantQuery::default()
    };
    let mut grants = Vec::new();
    let mut more_grants = false;
    if let Ok(page) = s
        .service
        .list_grants(&who.ctx, &query, first(GRANTS_SHOWN))
        .await
    {
        more_grants = page.next_cursor.is_some();
        for g in page.items {
            let what = match g.role {
                Some(r) => labels.name(s, who, r).await,
                None => g.permissions.join(", "),
            };
            grants.push(GrantRow {
                id: g.id,
                what,
                scope: labels.name(s, who, g.scope).await,
                deny: g.effect == Effect::Deny,
            });
        }
    }
    let reaching: Vec<Reaching> = s
        .service
        .effective_permissions(&who.ctx, user.id)
        .await
        .unwrap_or_default();
    let mut effective = Vec::new();
    for r in reaching {
        let scope = labels.name(s, who, r.scope).await;
        let through = match r.via_group {
            Some(g) => format!("through {}", labels.name(s, who, g).await),
            None => "given directly".to_string(),
        };
        let role = match r.role {
            Some(id) => labels.name(s, who, id).await,
            None => "inline permissions".to_string(),
        };
        let scope_type = labels.types.get(&r.scope).filter(|t| !t.is_empty());
        effective.push(EffectiveRow {
            permissions: r
                .permissions
                .iter()
                .map(|p| {
                    let text = p.to_string();
                    PermissionChip {
                        why: why_link(user.id, &text, r.scope, scope_type),
                        text,
                    }
                })
                .collect(),
            scope,
            through,
            role,
            deny: r.effect == Effect::Deny,
        });
    }
    render::text(&AccessSection {
        csrf: &who.csrf,
        user,
        grants,
        more_grants,
        roles,
        scopes,
        effective,
        f,
        errors,
    })
}

/// The fields of the access forms, for placing errors.
const ACCESS_FIELDS: &[&str] = &["role", "scope", "action", "resource"];

/// `POST /users/{id}/grants`: gives the user a role on a scope.
pub async fn give_role(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let forms = AccessForms {
        role: form.id("role"),
        scope: form.id("scope"),
        effect: form.get("effect").unwrap_or_default(),
        ..AccessForms::default()
    };
    let mut errors = FormErrors::none();
    if forms.role.is_none() {
        errors.add("role", "Choose a role.");
    }
    if forms.scope.is_none() {
        errors.add("scope", "Choose where the role holds.");
    }
    let (Some(role), Some(scope)) = (forms.role, forms.scope) else {
        return user_details::respond(&s, &who, &headers, id, Extras::access(forms, errors)).await;
    };
    let input = CreateGrant {
        subject: id,
        role: Some(role),
        permissions: Vec::new(),
        scope,
        effect: Some(if forms.effect == "deny" {
            Effect::Deny
        } else {
            Effect::Allow
        }),
        valid_from: None,
        valid_until: None,
    };
    let extras = match s.service.create_grant(&who.ctx, input).await {
        Ok(_) => Extras::notice("Role given."),
        Err(e) => Extras::access(forms, FormErrors::from_core(&e, ACCESS_FIELDS)),
    };
    user_details::respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/grants/revoke`: takes one of the user's grants away.
pub async fn revoke(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match form.id("grant") {
        None => Extras::default(),
        Some(grant) => match s.service.delete_grant(&who.ctx, grant, None).await {
            Ok(()) => Extras::notice("Grant revoked."),
            Err(e) => Extras::error(messages::plain(&e)),
        },
    };
    user_details::respond(&s, &who, &headers, id, extras).await
}

/// The object a typed resource names: an id, a username, or a resource's exact name.
async fn resolve(s: &WebState, who: &Signed, typed: &str) -> Result<Id, CoreError> {
    if let Ok(id) = typed.parse::<Id>() {
        return Ok(id);
    }
    let users = UserFilter {
        q: Some(typed.to_string()),
        ..UserFilter::default()
    };
    if let Ok(found) = s
        .service
        .list_users(&who.ctx, &users, first(LOOKUP_LIMIT))
        .await
    {
        if let Some(u) = found
            .items
            .iter()
            .find(|u| u.login.eq_ignore_ascii_case(typed))
        {
            return Ok(u.id);
        }
    }
    let resources = ResourceFilter {
        q: Some(typed.to_string()),
        ..ResourceFilter::default()
    };
    let found = s
        .service
        .list_resources(&who.ctx, &resources, first(LOOKUP_LIMIT))
        .await?;
    let exact: Vec<Id> = found
        .items
        .iter()
        .filter(|r| r.name.eq_ignore_ascii_case(typed))
        .map(|r| r.id)
        .collect();
    match exact.as_slice() {
        [one] => Ok(*one),
        [] => Err(CoreError::invalid(
            "unknown_resource",
            "resource",
            "no resource or user has this name",
        )),
        _ => Err(CoreError::invalid(
            "ambiguous_resource",
            "resource",
            "several resources have this name",
        )),
    }
}

/// One step of a path in words: how the grant reaches the user, what it gives, where.
async fn step_line(
    s: &WebState,
    who: &Signed,
    ex: &Explained,
    step: &Step,
    labels: &mut Labels,
) -> String {
    let via = match step.via_group {
        Some(g) => {
            let name = labels.name(s, who, g).await;
            match ex.member_since.get(&g) {
                Some(t) => format!("member of {name} since {}", t.format("%Y-%m-%d")),
                None => format!("in {name}"),
            }
        }
        None => "given directly".to_string(),
    };
    let what = match &step.role {
        Some((_, name)) => format!("role {name}"),
        None => "inline permission".to_string(),
    };
    let scope = labels.name(s, who, step.scope).await;
    format!(
        "{via} → {} grant of {what} → {} → on {scope}",
        step.effect.as_str(),
        step.permission
    )
}

/// `explain` in words.
async fn answer(
    s: &WebState,
    who: &Signed,
    ex: &Explained,
    target: &str,
    labels: &mut Labels,
) -> Answer {
    let e = &ex.explanation;
    let verdict = match e.reason {
        None => format!("Allowed on {target}."),
        Some(DenyReason::Denied) => format!("Not allowed on {target}: a deny grant wins."),
        Some(DenyReason::NothingGrants) => {
            format!("Not allowed on {target}: no grant gives it.")
        }
        Some(DenyReason::InactiveUser) => {
            "Not allowed: the user is pending or disabled, and may do nothing.".into()
        }
        Some(DenyReason::UnknownUser) => "Not allowed: you may not ask about this user.".into(),
        Some(DenyReason::UnknownTarget) => "There is no such resource.".into(),
        Some(DenyReason::UnknownAction) => {
            format!("This action is not one of {target}'s type's actions.")
        }
    };
    let mut path = Vec::new();
    for step in &e.allowed_by {
        path.push(step_line(s, who, ex, step, labels).await);
    }
    let mut overridden_by = Vec::new();
    for step in &e.denied_by {
        overridden_by.push(step_line(s, who, ex, step, labels).await);
    }
    let note = match e.ignored_in_project {
        Some(p) => Some(format!(
            "The user is in a group of the exclusive {}, so their own grants there are \
             ignored: the group's rights replace them.",
            labels.name(s, who, p).await
        )),
        None => None,
    };
    Answer {
        allowed: e.allowed,
        verdict,
        path,
        overridden_by,
        note,
    }
}

/// `GET /users/{id}/why?action=…&resource=…`: explains a decision about the user.
pub async fn why(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let query = FormData::parse(q.unwrap_or_default().as_bytes());
    let mut forms = AccessForms {
        action: query.get("action").unwrap_or_default(),
        resource: query.get("resource").unwrap_or_default(),
        ..AccessForms::default()
    };
    let mut errors = FormErrors::none();
    if forms.action.is_empty() {
        errors.add("action", "Name an action, like read or device:write.");
    }
    if forms.resource.is_empty() {
        errors.add(
            "resource",
            "Name what to ask about: a resource's name, a username or an id.",
        );
    }
    if errors.is_empty() {
        match resolve(&s, &who, &forms.resource).await {
            Ok(target) => {
                let question = Question {
                    user: id,
                    action: forms.action.clone(),
                    resource: target,
                };
                match s.service.explain(&who.ctx, &question).await {
                    Ok(ex) => {
                        let owners = choices::owners(&s.service, &who.ctx)
                            .await
                            .unwrap_or_default();
                        let mut labels = Labels::of_owners(&owners);
                        let name = labels.name(&s, &who, target).await;
                        forms.answer = Some(answer(&s, &who, &ex, &name, &mut labels).await);
                    }
                    Err(e) => errors = FormErrors::general(messages::plain(&e)),
                }
            }
            Err(e) => errors = FormErrors::from_core(&e, ACCESS_FIELDS),
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let pane = user_details::render_pane(&s, &who, id, Extras::access(forms, errors)).await;
    super::users::pane_response(&s, &who, &headers, status, pane, false, None).await
}

/// The names of the groups a user is in, for labelling the grants that come through them.
pub fn group_names(groups: &[choices::GroupChoice]) -> Vec<(Id, String)> {
    groups.iter().map(|g| (g.id, g.label.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn why_links_ask_about_the_scope_only_where_the_permission_applies() {
        let user = Id::nil();
        let scope: Id = "0190f8a0-0000-7000-8000-000000000001".parse().unwrap();
        let tenant = Some("tenant".to_string());
        let on_scope = |l: &str| l.contains(&format!("resource={scope}"));
        let l = why_link(user, "*:read", scope, tenant.as_ref());
        assert!(l.contains("action=read&") && on_scope(&l), "{l}");
        let l = why_link(user, "tenant:update", scope, tenant.as_ref());
        assert!(l.contains("action=tenant%3Aupdate") && on_scope(&l), "{l}");
        // A device permission on a tenant: the form asks which device.
        let l = why_link(user, "device:read", scope, tenant.as_ref());
        assert!(l.contains("action=device%3Aread") && !on_scope(&l), "{l}");
        // Every action: the form asks which one.
        let l = why_link(user, "*:*", scope, tenant.as_ref());
        assert!(l.contains("action=&") && on_scope(&l), "{l}");
    }
}
