//! The Access tab of a group's pane (the VoIP console's group dialog): one row per
//! permission of the registered resource types, each Select (no entry), Allow or Deny, saved
//! together as the group's inline grants on one scope — its owner, or a project it is in.

use super::group_details;
use super::groups;
use super::panes::{self, Answer};
use crate::choices;
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use roster_core::model::{Effect, GrantQuery, Group, GroupLevel};
use roster_core::page::PageReq;
use roster_core::{CoreError, Id};

/// Grants read to learn the panel's state (a group holds a handful on one scope).
const GRANTS_READ: u32 = 1000;

/// One permission's row.
struct Row {
    /// `type:action`, as the form field's name.
    perm: String,
    /// The type's name.
    rtype: String,
    /// The action.
    action: String,
    /// The permission as an id-safe word.
    slug: String,
    /// `select`, `allow` or `deny`.
    state: &'static str,
}

impl Row {
    fn new(perm: String, state: &'static str) -> Row {
        let (rtype, action) = perm
            .split_once(':')
            .map_or((perm.clone(), String::new()), |(t, a)| (t.into(), a.into()));
        Row {
            slug: perm.replace(':', "-").replace('*', "any"),
            perm,
            rtype,
            action,
            state,
        }
    }
}

/// A scope the panel can be set on.
struct ScopeChoice {
    id: Id,
    label: String,
}

#[derive(Template)]
#[template(path = "groups/access.html")]
struct AccessPane<'a> {
    csrf: &'a str,
    tabs: String,
    group: &'a Group,
    scope: Id,
    scopes: &'a [ScopeChoice],
    rows: &'a [Row],
    own: &'a [Row],
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The panel's rows on `scope`: every action of every registered type (roster's own types
/// apart, in `own`), plus any permission the group's grants there name otherwise (a
/// wildcard given through the API), each in its current state.
async fn rows(
    s: &WebState,
    who: &Signed,
    group: Id,
    scope: Id,
) -> Result<(Vec<Row>, Vec<Row>), CoreError> {
    let query = GrantQuery {
        subject: Some(group),
        scope: Some(scope),
        role: None,
    };
    let page = PageReq {
        after: None,
        limit: GRANTS_READ,
    };
    let grants = s.service.list_grants(&who.ctx, &query, page).await?;
    let (mut allowed, mut denied) = (Vec::new(), Vec::new());
    for g in grants
        .items
        .iter()
        .filter(|g| g.role.is_none() && g.valid_from.is_none() && g.valid_until.is_none())
    {
        match g.effect {
            Effect::Allow => allowed.extend(g.permissions.iter().cloned()),
            Effect::Deny => denied.extend(g.permissions.iter().cloned()),
        }
    }
    let state = |p: &str| {
        if denied.iter().any(|d| d == p) {
            "deny"
        } else if allowed.iter().any(|a| a == p) {
            "allow"
        } else {
            "select"
        }
    };
    let (mut app, mut own) = (Vec::new(), Vec::new());
    for t in s.service.list_resource_types(&who.ctx).await? {
        for a in &t.actions {
            let perm = format!("{}:{a}", t.name);
            let row = Row::new(perm.clone(), state(&perm));
            if t.builtin {
                own.push(row);
            } else {
                app.push(row);
            }
        }
    }
    let mut extra: Vec<String> = allowed
        .iter()
        .chain(&denied)
        .filter(|p| !app.iter().chain(&own).any(|r| &r.perm == *p))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    app.extend(extra.into_iter().map(|p| {
        let st = state(&p);
        Row::new(p, st)
    }));
    Ok((app, own))
}

/// Where the panel may be set: the group's owner, and the projects it is in.
async fn scope_choices(s: &WebState, who: &Signed, group: &Group) -> Vec<ScopeChoice> {
    let projects = s
        .service
        .group_projects(&who.ctx, group.id)
        .await
        .unwrap_or_default();
    let mut out = Vec::new();
    if group.level == GroupLevel::Org {
        let owners = groups::owner_choices(s, who).await;
        out.push(ScopeChoice {
            id: group.owner,
            label: choices::owner_label(&owners, group.owner),
        });
    }
    out.extend(projects.into_iter().map(|p| ScopeChoice {
        id: p.id,
        label: format!("Project {}", p.name),
    }));
    out
}

/// The panel of group `id` on `scope` (its owner when none is named).
async fn render_pane(
    s: &WebState,
    who: &Signed,
    id: Id,
    scope: Option<Id>,
    notice: Option<String>,
    mut errors: FormErrors,
) -> String {
    let group = match s.service.get_group(&who.ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let scopes = scope_choices(s, who, &group).await;
    let scope = scope.unwrap_or(group.owner);
    let (app, own) = match rows(s, who, id, scope).await {
        Ok(r) => r,
        Err(e) => {
            errors.general.get_or_insert(panes::words(&e));
            (Vec::new(), Vec::new())
        }
    };
    render::text(&AccessPane {
        csrf: &who.csrf,
        tabs: group_details::tabs(id, "access"),
        group: &group,
        scope,
        scopes: &scopes,
        rows: &app,
        own: &own,
        notice: notice.as_deref(),
        errors: &errors,
    })
}

/// `GET /groups/{id}/access?scope=…`: the access panel.
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let scope = FormData::parse(q.unwrap_or_default().as_bytes()).id("scope");
    let pane = render_pane(&s, &who, id, scope, None, FormErrors::none()).await;
    let url = match scope {
        Some(sc) => format!("/groups/{id}/access?scope={sc}"),
        None => format!("/groups/{id}/access"),
    };
    groups::answer(&s, &who, &headers, Answer::ok(pane).at(url)).await
}

/// `POST /groups/{id}/access`: saves every row at once: Allow and Deny rows become the
/// group's inline grants on the scope, Select rows no entry.
pub async fn save(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = async {
        let group = s.service.get_group(&who.ctx, id).await?;
        let scope = form.id("scope").unwrap_or(group.owner);
        let (app, own) = rows(&s, &who, id, scope).await?;
        let (mut allow, mut deny) = (Vec::new(), Vec::new());
        for row in app.iter().chain(&own) {
            match form.get(&row.perm).as_deref() {
                Some("allow") => allow.push(row.perm.clone()),
                Some("deny") => deny.push(row.perm.clone()),
                _ => {}
            }
        }
        s.service
            .set_inline_grants(&who.ctx, id, scope, &allow, &deny)
            .await?;
        Ok::<_, CoreError>((allow.len(), deny.len()))
    }
    .await;
    let scope = form.id("scope");
    let (notice, errors) = match result {
        Ok((allowed, denied)) => (
            Some(format!(
                "Saved: {allowed} allowed, {denied} denied; the rest have no entry."
            )),
            FormErrors::none(),
        ),
        Err(e) => (None, FormErrors::general(panes::words(&e))),
    };
    let status = panes::status_for(!errors.is_empty());
    let pane = render_pane(&s, &who, id, scope, notice, errors).await;
    groups::answer(&s, &who, &headers, Answer::ok(pane).status(status)).await
}
