//! The Roles page: built-in and custom roles (search, cursor paging), creating and editing a
//! custom role's permissions as `type:action` from the registered resource types, and
//! deleting one no grant uses.

use super::panes::{self, Answer};
use super::search::Search;
use crate::choices::{self, Owner};
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use roster_core::model::{ResourceType, Role};
use roster_core::service::{CreateRole, UpdateRole};
use roster_core::{CoreError, Id};

/// Roles shown per page of the list (built-in roles come on top of the first page).
const PAGE_SIZE: u32 = 20;

struct RoleRow {
    id: Id,
    name: String,
    permissions: String,
    owner: String,
    builtin: bool,
}

#[derive(Template)]
#[template(path = "roles/rows.html")]
struct Rows {
    roles: Vec<RoleRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "roles/page.html")]
struct RolesPage<'a> {
    q: &'a str,
    rows: String,
    pane: String,
}

async fn render_rows(s: &WebState, who: &Signed, raw: Option<&str>) -> String {
    let search = Search::parse(raw);
    let owners = super::groups::owner_choices(s, who).await;
    let listed = match search.page(PAGE_SIZE) {
        Ok(page) => {
            let q = search.text();
            s.service.list_roles(&who.ctx, None, q, page).await
        }
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => Rows {
            roles: p
                .items
                .into_iter()
                .map(|r| RoleRow {
                    id: r.id,
                    permissions: r.permissions.join(", "),
                    owner: if r.builtin {
                        "Built in".into()
                    } else {
                        choices::owner_label(&owners, r.owner)
                    },
                    builtin: r.builtin,
                    name: r.name,
                })
                .collect(),
            first: search.first(),
            next: search.next(p.next_cursor),
            error: None,
        },
        Err(e) => Rows {
            roles: Vec::new(),
            first: None,
            next: None,
            error: Some(panes::words(&e)),
        },
    };
    render::text(&rows)
}

async fn full_page(
    s: &WebState,
    who: &Signed,
    raw: Option<&str>,
    status: StatusCode,
    pane: String,
) -> Response {
    let rows = render_rows(s, who, raw).await;
    let q = Search::parse(raw).q;
    let body = render::text(&RolesPage { q: &q, rows, pane });
    render::page(s, who, status, "Roles", "roles", body).await
}

async fn answer(s: &WebState, who: &Signed, headers: &HeaderMap, a: Answer) -> Response {
    match a.fragment(headers) {
        Ok(res) => res,
        Err(a) => full_page(s, who, None, a.status, a.pane).await,
    }
}

/// `GET /roles`: the Roles page.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /roles/rows`: the list alone.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    render::fragment(StatusCode::OK, render_rows(&s, &who, q.as_deref()).await)
}

/// One action's box in the permission matrix.
struct ActionBox {
    action: String,
    perm: String,
    ticked: bool,
}

/// One resource type's line of the permission matrix.
struct TypeLine {
    name: String,
    builtin: bool,
    /// Its actions, each a box.
    actions: Vec<ActionBox>,
    /// `type:*` ticked.
    all: bool,
}

/// The role form as shown: typed or stored values, and the matrix.
struct RoleForm {
    name: String,
    description: String,
    owner: Option<Id>,
    lines: Vec<TypeLine>,
    /// Permissions the matrix cannot show (wildcard types), space separated.
    other: String,
    own_open: bool,
}

impl RoleForm {
    /// The form for `perms` over the registered `types`.
    fn new(
        name: String,
        description: String,
        owner: Option<Id>,
        types: &[ResourceType],
        perms: &[String],
    ) -> RoleForm {
        let mut shown = Vec::new();
        let lines: Vec<TypeLine> = types
            .iter()
            .map(|t| {
                let all = format!("{}:*", t.name);
                shown.push(all.clone());
                TypeLine {
                    name: t.name.clone(),
                    builtin: t.builtin,
                    all: perms.contains(&all),
                    actions: t
                        .actions
                        .iter()
                        .map(|a| {
                            let p = format!("{}:{a}", t.name);
                            shown.push(p.clone());
                            ActionBox {
                                action: a.clone(),
                                ticked: perms.contains(&p),
                                perm: p,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let other: Vec<&str> = perms
            .iter()
            .filter(|p| !shown.contains(p))
            .map(String::as_str)
            .collect();
        let own_open = lines
            .iter()
            .any(|l| l.builtin && (l.all || l.actions.iter().any(|a| a.ticked)));
        RoleForm {
            name,
            description,
            owner,
            lines,
            other: other.join(" "),
            own_open,
        }
    }
}

/// The permissions a role form posted: the ticked boxes of the matrix over `types` (each
/// named by its permission) and the typed others.
fn posted_permissions(form: &FormData, types: &[ResourceType]) -> Vec<String> {
    let mut perms = Vec::new();
    for t in types {
        let actions = std::iter::once("*").chain(t.actions.iter().map(String::as_str));
        for a in actions {
            let p = format!("{}:{a}", t.name);
            if form.ticked(&p) {
                perms.push(p);
            }
        }
    }
    if let Some(other) = form.get("other") {
        perms.extend(
            other
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string),
        );
    }
    perms
}

#[derive(Template)]
#[template(path = "roles/form.html")]
struct RolePane<'a> {
    csrf: &'a str,
    role: Option<&'a Role>,
    editable: bool,
    v: &'a RoleForm,
    owners: &'a [Owner],
    owner_label: String,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

async fn types(s: &WebState, who: &Signed) -> Vec<ResourceType> {
    let mut all = s
        .service
        .list_resource_types(&who.ctx)
        .await
        .unwrap_or_default();
    all.sort_by_key(|t| (t.builtin, t.name.clone()));
    all
}

async fn render_form(
    s: &WebState,
    who: &Signed,
    role: Option<&Role>,
    v: &RoleForm,
    notice: Option<String>,
    errors: &FormErrors,
) -> String {
    let owners = super::groups::owner_choices(s, who).await;
    let owner_label = role.map_or_else(String::new, |r| {
        if r.builtin {
            "Built in".into()
        } else {
            choices::owner_label(&owners, r.owner)
        }
    });
    render::text(&RolePane {
        csrf: &who.csrf,
        editable: role.is_none_or(|r| !r.builtin),
        role,
        v,
        owners: &owners,
        owner_label,
        notice: notice.as_deref(),
        errors,
    })
}

/// The fields of the role form, for placing errors.
const FIELDS: &[&str] = &["name", "description", "owner", "permissions"];

/// `GET /roles/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = super::groups::owner_choices(&s, &who).await;
    let v = RoleForm::new(
        String::new(),
        String::new(),
        owners.first().map(|o| o.id),
        &types(&s, &who).await,
        &[],
    );
    let pane = render_form(&s, &who, None, &v, None, &FormErrors::none()).await;
    answer(&s, &who, &headers, Answer::ok(pane).at("/roles/new")).await
}

/// `POST /roles`: creates a custom role.
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let types = types(&s, &who).await;
    let perms = posted_permissions(&form, &types);
    let name = form.get("name").unwrap_or_default();
    let description = form.get("description").unwrap_or_default();
    let owner = form.id("owner");
    let created = match owner {
        None => Err(CoreError::invalid("unknown_owner", "owner", "choose one")),
        Some(owner) => {
            let input = CreateRole {
                name: name.clone(),
                description: Some(description.clone()).filter(|d| !d.is_empty()),
                owner,
                permissions: perms.clone(),
            };
            s.service.create_role(&who.ctx, input).await
        }
    };
    match created {
        Ok(r) => {
            let v = RoleForm::new(
                r.name.clone(),
                r.description.clone(),
                Some(r.owner),
                &types,
                &r.permissions,
            );
            let notice = Some(format!("Created {}.", r.name));
            let pane = render_form(&s, &who, Some(&r), &v, notice, &FormErrors::none()).await;
            let a = Answer::ok(pane)
                .changed("roles-changed")
                .at(format!("/roles/{}", r.id));
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let v = RoleForm::new(name, description, owner, &types, &perms);
            let errors = FormErrors::from_core(&e, FIELDS);
            let pane = render_form(&s, &who, None, &v, None, &errors).await;
            answer(
                &s,
                &who,
                &headers,
                Answer::ok(pane).status(panes::status_for(true)),
            )
            .await
        }
    }
}

/// The pane of role `id`: read-only for a built-in role, the edit form for a custom one.
async fn role_pane(
    s: &WebState,
    who: &Signed,
    id: Id,
    notice: Option<String>,
    errors: &FormErrors,
) -> String {
    match s.service.get_role(&who.ctx, id).await {
        Ok(r) => {
            let v = RoleForm::new(
                r.name.clone(),
                r.description.clone(),
                Some(r.owner),
                &types(s, who).await,
                &r.permissions,
            );
            render_form(s, who, Some(&r), &v, notice, errors).await
        }
        Err(e) => super::user_details::pane_message(&panes::words(&e)),
    }
}

/// `GET /roles/{id}`: a role's pane.
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    let pane = role_pane(&s, &who, id, None, &FormErrors::none()).await;
    answer(&s, &who, &headers, Answer::ok(pane)).await
}

/// `POST /roles/{id}`: saves a custom role's name, description and permissions; on an
/// error the form stays as typed.
pub async fn edit(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let types = types(&s, &who).await;
    let perms = posted_permissions(&form, &types);
    let name = form.get("name").unwrap_or_default();
    let description = form.get("description").unwrap_or_default();
    let change = UpdateRole {
        name: Some(name.clone()),
        description: Some(description.clone()),
        permissions: Some(perms.clone()),
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    match s.service.update_role(&who.ctx, id, &change, version).await {
        Ok(_) => {
            let pane = role_pane(&s, &who, id, Some("Saved.".into()), &FormErrors::none()).await;
            answer(
                &s,
                &who,
                &headers,
                Answer::ok(pane).changed("roles-changed"),
            )
            .await
        }
        Err(e) => {
            let errors = FormErrors::from_core(&e, FIELDS);
            let role = s.service.get_role(&who.ctx, id).await.ok();
            let v = RoleForm::new(name, description, None, &types, &perms);
            let pane = render_form(&s, &who, role.as_ref(), &v, None, &errors).await;
            answer(
                &s,
                &who,
                &headers,
                Answer::ok(pane).status(panes::status_for(true)),
            )
            .await
        }
    }
}

/// `POST /roles/{id}/delete`: deletes a custom role no grant uses.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let name = s.service.get_role(&who.ctx, id).await.map(|r| r.name);
    match s.service.delete_role(&who.ctx, id, None).await {
        Ok(()) => {
            let text = format!("Deleted {}.", name.unwrap_or_else(|_| "the role".into()));
            let a = Answer::ok(super::user_details::pane_message(&text))
                .changed("roles-changed")
                .at("/roles");
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let errors = FormErrors::general(panes::words(&e));
            let pane = role_pane(&s, &who, id, None, &errors).await;
            answer(
                &s,
                &who,
                &headers,
                Answer::ok(pane).status(panes::status_for(true)),
            )
            .await
        }
    }
}
