//! The Groups tab: the list (search by name, cursor paging) and the create pane; the
//! details pane and its tabs live in `group_details`, `group_roles`, `access_panel` and
//! `group_delete`.

use super::group_details;
use super::search::Search;
use crate::choices::{self, Owner};
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use roster_core::model::GroupLevel;
use roster_core::service::{CreateGroup, GroupFilter};
use roster_core::Id;
use std::collections::hash_map::{Entry, HashMap};

/// Groups shown per page of the list.
const PAGE_SIZE: u32 = 20;

struct GroupRow {
    id: Id,
    name: String,
    description: String,
    owner: String,
    predefined: bool,
}

#[derive(Template)]
#[template(path = "groups/rows.html")]
struct Rows {
    groups: Vec<GroupRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "groups/page.html")]
struct GroupsPage<'a> {
    q: &'a str,
    /// Whether the caller may create a group under one of the owners (shows "Create group").
    may_create: bool,
    rows: String,
    pane: String,
}

async fn render_rows(s: &WebState, who: &Signed, raw: Option<&str>, owners: &[Owner]) -> String {
    let search = Search::parse(raw);
    let filter = GroupFilter {
        q: search.text().map(str::to_owned),
        ..GroupFilter::default()
    };
    let listed = match search.page(PAGE_SIZE) {
        Ok(page) => s.service.list_groups(&who.ctx, &filter, page).await,
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => {
            let mut projects: HashMap<Id, String> = HashMap::new();
            let mut groups = Vec::with_capacity(p.items.len());
            for g in p.items {
                let owner = if g.level == GroupLevel::Project {
                    if let Entry::Vacant(slot) = projects.entry(g.owner) {
                        let name = s
                            .service
                            .get_project(&who.ctx, g.owner)
                            .await
                            .map_or_else(|_| "—".to_string(), |p| format!("Project {}", p.name));
                        slot.insert(name);
                    }
                    projects.get(&g.owner).cloned().unwrap_or_default()
                } else {
                    choices::owner_label(owners, g.owner)
                };
                groups.push(GroupRow {
                    id: g.id,
                    owner,
                    predefined: g.is_predefined(),
                    description: g.description,
                    name: g.name,
                });
            }
            Rows {
                groups,
                first: search.first(),
                next: search.next(p.next_cursor),
                error: None,
            }
        }
        Err(e) => Rows {
            groups: Vec::new(),
            first: None,
            next: None,
            error: Some(messages::plain(&e)),
        },
    };
    render::text(&rows)
}

pub(super) async fn owner_choices(s: &WebState, who: &Signed) -> Vec<Owner> {
    choices::owners(&s.service, &who.ctx)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "listing owners for the console failed");
            Vec::new()
        })
}

async fn full_page(
    s: &WebState,
    who: &Signed,
    raw: Option<&str>,
    status: StatusCode,
    pane: String,
) -> Response {
    let owners = owner_choices(s, who).await;
    let rows = render_rows(s, who, raw, &owners).await;
    let q = Search::parse(raw).q;
    let may_create = !choices::creatable(&s.service, &who.ctx, "group", &owners).is_empty();
    let body = render::text(&GroupsPage {
        q: &q,
        may_create,
        rows,
        pane,
    });
    render::page(s, who, status, "Groups", "users", body).await
}

/// A pane as the answer, for the other group modules.
pub(super) async fn answer(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    a: super::panes::Answer,
) -> Response {
    match a.fragment(headers) {
        Ok(res) => res,
        Err(a) => full_page(s, who, None, a.status, a.pane).await,
    }
}

/// A pane as the answer: the fragment for htmx (the list reloads when it changed), or the
/// whole Groups tab.
pub(super) async fn pane_response(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    status: StatusCode,
    pane: String,
    list_changed: bool,
    url: Option<&str>,
) -> Response {
    if !render::wants_fragment(headers) {
        return full_page(s, who, None, status, pane).await;
    }
    let mut res = render::fragment(status, pane);
    if list_changed {
        res.headers_mut()
            .insert("hx-trigger", HeaderValue::from_static("groups-changed"));
    }
    if let Some(v) = url.and_then(|u| HeaderValue::from_str(u).ok()) {
        res.headers_mut().insert("hx-push-url", v);
    }
    res
}

/// `GET /groups`: the Groups tab.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /groups/rows`: the list alone.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let owners = owner_choices(&s, &who).await;
    render::fragment(
        StatusCode::OK,
        render_rows(&s, &who, q.as_deref(), &owners).await,
    )
}

/// What the create pane holds.
#[derive(Debug, Default)]
struct NewGroup {
    name: String,
    description: String,
    owner: Option<Id>,
}

#[derive(Template)]
#[template(path = "groups/create.html")]
struct CreatePane<'a> {
    csrf: &'a str,
    v: &'a NewGroup,
    owners: &'a [Owner],
    errors: FormErrors,
}

/// The owners the create pane offers: those under which the caller may create a group.
async fn creatable_owners(s: &WebState, who: &Signed) -> Vec<Owner> {
    choices::creatable(&s.service, &who.ctx, "group", &owner_choices(s, who).await)
}

/// `GET /groups/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = creatable_owners(&s, &who).await;
    let v = NewGroup {
        owner: owners.first().map(|o| o.id),
        ..NewGroup::default()
    };
    let pane = render::text(&CreatePane {
        csrf: &who.csrf,
        v: &v,
        owners: &owners,
        errors: FormErrors::none(),
    });
    pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}

/// `POST /groups`: creates the group and opens its details.
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = NewGroup {
        name: form.get("name").unwrap_or_default(),
        description: form.get("description").unwrap_or_default(),
        owner: form.id("owner"),
    };
    let result = match v.owner {
        Some(owner) => {
            let input = CreateGroup {
                name: v.name.clone(),
                description: Some(v.description.clone()).filter(|d| !d.is_empty()),
                owner,
            };
            s.service
                .create_group(&who.ctx, input)
                .await
                .map_err(|e| FormErrors::from_core(&e, &["name", "description", "owner"]))
        }
        None => {
            let mut errors = FormErrors::none();
            errors.add("owner", "Choose an owner.");
            Err(errors)
        }
    };
    match result {
        Ok(g) => {
            let extras = group_details::Extras {
                notice: Some(format!("Created {}.", g.name)),
                ..group_details::Extras::default()
            };
            let pane = group_details::render_pane(&s, &who, g.id, extras).await;
            let url = format!("/groups/{}", g.id);
            pane_response(&s, &who, &headers, StatusCode::OK, pane, true, Some(&url)).await
        }
        Err(errors) => {
            let owners = creatable_owners(&s, &who).await;
            let pane = render::text(&CreatePane {
                csrf: &who.csrf,
                v: &v,
                owners: &owners,
                errors,
            });
            pane_response(
                &s,
                &who,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                pane,
                false,
                None,
            )
            .await
        }
    }
}
