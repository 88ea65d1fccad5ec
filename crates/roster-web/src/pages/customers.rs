//! The Customers page: the org tree (tenants, their customers, sub-customers at any depth)
//! opened along the chosen node's path, a search by name, and a pane to create, rename and
//! delete nodes.

use super::panes;
use crate::choices;
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use roster_core::model::{OrgKind, OrgNode};
use roster_core::page::PageReq;
use roster_core::service::{OrgFilter, UpdateOrgNode};
use roster_core::{CoreError, CoreResult, Id};

/// Children shown per node of the tree; more are found by searching.
const CHILDREN_SHOWN: u32 = 100;
/// Search results shown.
const FOUND_SHOWN: u32 = 20;

/// One line of the tree.
struct TreeRow {
    id: Id,
    name: String,
    kind: &'static str,
    depth: usize,
    selected: bool,
    open: bool,
}

/// A search hit: the node and its ancestry.
struct Found {
    id: Id,
    label: String,
}

#[derive(Template)]
#[template(path = "customers/org.html")]
struct OrgView<'a> {
    csrf: &'a str,
    q: &'a str,
    found: &'a [Found],
    rows: &'a [TreeRow],
    capped: bool,
    node: Option<&'a OrgNode>,
    node_label: String,
    name: &'a str,
    child_name: &'a str,
    tenant_name: &'a str,
    may_create_tenants: bool,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "customers/page.html")]
struct CustomersPage {
    org: String,
}

/// What the view shows besides the tree.
#[derive(Default)]
struct Extras {
    q: String,
    notice: Option<String>,
    errors: FormErrors,
    /// Typed names when a form failed: (rename, new child, new tenant).
    typed: (Option<String>, String, String),
}

fn kind_label(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::System => "System",
        OrgKind::Tenant => "Tenant",
        OrgKind::Customer => "Customer",
    }
}

/// The tenant or customer `id`, whichever it is.
async fn node(s: &WebState, who: &Signed, id: Id) -> CoreResult<OrgNode> {
    match s
        .service
        .get_org_node(&who.ctx, OrgKind::Customer, id)
        .await
    {
        Ok(n) => Ok(n),
        Err(CoreError::NotFound { .. }) => {
            s.service.get_org_node(&who.ctx, OrgKind::Tenant, id).await
        }
        Err(e) => Err(e),
    }
}

/// The children of `parent` (tenants under the root) the caller sees, by name.
async fn children(
    s: &WebState,
    who: &Signed,
    parent: Option<Id>,
) -> CoreResult<(Vec<OrgNode>, bool)> {
    let (kind, filter) = match parent {
        None => (OrgKind::Tenant, OrgFilter::default()),
        Some(p) => (
            OrgKind::Customer,
            OrgFilter {
                parent: Some(p),
                q: None,
            },
        ),
    };
    let page = PageReq {
        after: None,
        limit: CHILDREN_SHOWN,
    };
    let listed = s
        .service
        .list_org_nodes(&who.ctx, kind, &filter, page)
        .await?;
    let capped = listed.next_cursor.is_some();
    let mut nodes = listed.items;
    nodes.sort_by_key(|n| n.name.to_lowercase());
    Ok((nodes, capped))
}

/// Lays out `levels` (the tenants, then the children of each node on `path`) as lines.
fn lay_out(
    levels: &[Vec<OrgNode>],
    path: &[Id],
    selected: Option<Id>,
    depth: usize,
    rows: &mut Vec<TreeRow>,
) {
    let Some(level) = levels.get(depth) else {
        return;
    };
    for n in level {
        let open = path.get(depth + 1) == Some(&n.id);
        rows.push(TreeRow {
            id: n.id,
            name: n.name.clone(),
            kind: kind_label(n.kind),
            depth: depth.min(8),
            selected: selected == Some(n.id),
            open,
        });
        if open {
            lay_out(levels, path, selected, depth + 1, rows);
        }
    }
}

/// The tree (opened along `selected`'s path) and its pane.
async fn render_view(s: &WebState, who: &Signed, selected: Option<Id>, extras: Extras) -> String {
    let mut errors = extras.errors;
    let chosen = match selected {
        Some(id) => match node(s, who, id).await {
            Ok(n) => Some(n),
            Err(e) => {
                errors.general.get_or_insert(panes::words(&e));
                None
            }
        },
        None => None,
    };
    let path: Vec<Id> = chosen.as_ref().map(|n| n.path.clone()).unwrap_or_default();
    let mut levels = Vec::new();
    let mut capped = false;
    let parents: Vec<Option<Id>> = std::iter::once(None)
        .chain(path.iter().skip(1).map(|id| Some(*id)))
        .collect();
    for parent in parents {
        match children(s, who, parent).await {
            Ok((nodes, more)) => {
                capped |= more;
                levels.push(nodes);
            }
            Err(e) => {
                errors.general.get_or_insert(panes::words(&e));
                break;
            }
        }
    }
    let mut rows = Vec::new();
    lay_out(&levels, &path, selected, 0, &mut rows);
    let mut found = Vec::new();
    if !extras.q.is_empty() {
        let owners = choices::owners(&s.service, &who.ctx)
            .await
            .unwrap_or_default();
        let filter = OrgFilter {
            parent: None,
            q: Some(extras.q.clone()),
        };
        let page = PageReq {
            after: None,
            limit: FOUND_SHOWN,
        };
        for kind in [OrgKind::Tenant, OrgKind::Customer] {
            match s
                .service
                .list_org_nodes(&who.ctx, kind, &filter, page)
                .await
            {
                Ok(p) => found.extend(p.items.into_iter().map(|n| Found {
                    label: choices::owner_label(&owners, n.id),
                    id: n.id,
                })),
                Err(e) => {
                    errors.general.get_or_insert(panes::words(&e));
                }
            }
        }
    }
    let node_label = match &chosen {
        Some(n) => {
            let owners = choices::owners(&s.service, &who.ctx)
                .await
                .unwrap_or_default();
            choices::owner_label(&owners, n.id)
        }
        None => String::new(),
    };
    let (rename, child_name, tenant_name) = extras.typed;
    let name =
        rename.unwrap_or_else(|| chosen.as_ref().map(|n| n.name.clone()).unwrap_or_default());
    render::text(&OrgView {
        csrf: &who.csrf,
        q: &extras.q,
        found: &found,
        rows: &rows,
        capped,
        node: chosen.as_ref(),
        node_label,
        name: &name,
        child_name: &child_name,
        tenant_name: &tenant_name,
        may_create_tenants: who.ctx.actor.system_admin,
        notice: extras.notice.as_deref(),
        errors: &errors,
    })
}

/// The view as the answer: the fragment for htmx (with the address of the chosen node), or
/// the whole page.
async fn answer(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    selected: Option<Id>,
    extras: Extras,
) -> Response {
    let status = panes::status_for(!extras.errors.is_empty());
    let org = render_view(s, who, selected, extras).await;
    if render::wants_fragment(headers) {
        let mut res = render::fragment(status, org);
        let url =
            selected.map_or_else(|| "/customers".to_string(), |id| format!("/customers/{id}"));
        if let Ok(v) = HeaderValue::from_str(&url) {
            res.headers_mut().insert("hx-push-url", v);
        }
        return res;
    }
    let body = render::text(&CustomersPage { org });
    render::page(s, who, status, "Customers", "customers", body).await
}

/// `GET /customers` (`?q=` searches by name): the tree of tenants.
pub async fn page(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let f = FormData::parse(q.unwrap_or_default().as_bytes());
    let extras = Extras {
        q: f.get("q").unwrap_or_default(),
        ..Extras::default()
    };
    answer(&s, &who, &headers, None, extras).await
}

/// `GET /customers/{id}`: the tree opened at a tenant or customer, with its pane.
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    answer(&s, &who, &headers, Some(id), Extras::default()).await
}

/// `POST /customers`: creates a customer under `parent`, or a tenant when no parent is
/// named (system administrators).
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("name").unwrap_or_default();
    let parent = form.id("parent");
    let created = match parent {
        Some(p) => s.service.create_customer(&who.ctx, &name, p).await,
        None => s.service.create_tenant(&who.ctx, &name).await,
    };
    match created {
        Ok(n) => {
            let extras = Extras {
                notice: Some(format!(
                    "Created {} {}.",
                    kind_label(n.kind).to_lowercase(),
                    n.name
                )),
                ..Extras::default()
            };
            answer(&s, &who, &headers, Some(n.id), extras).await
        }
        Err(e) => {
            let field = if parent.is_some() {
                "child_name"
            } else {
                "tenant_name"
            };
            let extras = Extras {
                errors: FormErrors::from_core_renamed(&e, &[field], &[("name", field)]),
                typed: if parent.is_some() {
                    (None, name, String::new())
                } else {
                    (None, String::new(), name)
                },
                ..Extras::default()
            };
            answer(&s, &who, &headers, parent, extras).await
        }
    }
}

/// `POST /customers/{id}`: renames a tenant or customer.
pub async fn rename(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("name").unwrap_or_default();
    let version = form.get("version").and_then(|v| v.parse().ok());
    let result = async {
        let n = node(&s, &who, id).await?;
        let change = UpdateOrgNode {
            name: Some(name.clone()),
        };
        s.service
            .update_org_node(&who.ctx, n.kind, id, &change, version)
            .await
    }
    .await;
    let extras = match result {
        Ok(_) => Extras {
            notice: Some("Saved.".into()),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::from_core(&e, &["name"]),
            typed: (Some(name), String::new(), String::new()),
            ..Extras::default()
        },
    };
    answer(&s, &who, &headers, Some(id), extras).await
}

/// `POST /customers/{id}/delete`: deletes an empty tenant or customer; one that still holds
/// customers, users or groups is refused in words.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let result = async {
        let n = node(&s, &who, id).await?;
        s.service
            .delete_org_node(&who.ctx, n.kind, id, None)
            .await?;
        Ok::<_, CoreError>(n)
    }
    .await;
    match result {
        Ok(n) => {
            let extras = Extras {
                notice: Some(format!("Deleted {}.", n.name)),
                ..Extras::default()
            };
            let parent = n.parent.filter(|p| n.path.first() != Some(p));
            answer(&s, &who, &headers, parent, extras).await
        }
        Err(e) => {
            let extras = Extras {
                errors: FormErrors::general(panes::words(&e)),
                ..Extras::default()
            };
            answer(&s, &who, &headers, Some(id), extras).await
        }
    }
}
