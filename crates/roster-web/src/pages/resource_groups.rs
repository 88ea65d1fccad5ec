//! The Resources page's second tab (TrueCommand's "system groups", ThingsBoard's entity
//! groups): resource groups (search, cursor paging), creating one, and on its pane its
//! resources (add by name, remove) and who has access — read or read/write — with delete.

use super::panes::{self, Answer};
use super::search::Search;
use super::who_has_access;
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
use roster_core::model::{Resource, ResourceGroup};
use roster_core::page::PageReq;
use roster_core::service::{CreateResourceGroup, ResourceFilter};
use roster_core::{CoreError, Id};

/// Resource groups shown per page of the list.
const PAGE_SIZE: u32 = 20;
/// Resources shown per page of a group's pane.
const MEMBERS_PAGE: u32 = 50;
/// Names offered while typing a resource to add.
const SUGGESTED: u32 = 200;
/// Resources looked at when a name is typed.
const LOOKUP_LIMIT: u32 = 20;

struct GroupRow {
    id: Id,
    name: String,
    description: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "resources/group_rows.html")]
struct Rows {
    groups: Vec<GroupRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "resources/groups_page.html")]
struct GroupsPage<'a> {
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
            s.service
                .list_resource_groups(&who.ctx, None, q, page)
                .await
        }
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => Rows {
            groups: p
                .items
                .into_iter()
                .map(|g| GroupRow {
                    id: g.id,
                    owner: choices::owner_label(&owners, g.owner),
                    name: g.name,
                    description: g.description,
                })
                .collect(),
            first: search.first(),
            next: search.next(p.next_cursor),
            error: None,
        },
        Err(e) => Rows {
            groups: Vec::new(),
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
    let body = render::text(&GroupsPage { q: &q, rows, pane });
    render::page(s, who, status, "Resource groups", "resources", body).await
}

async fn answer(s: &WebState, who: &Signed, headers: &HeaderMap, a: Answer) -> Response {
    match a.fragment(headers) {
        Ok(res) => res,
        Err(a) => full_page(s, who, None, a.status, a.pane).await,
    }
}

/// `GET /resource-groups`: the Resource groups tab.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /resource-groups/rows`: the list alone.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    render::fragment(StatusCode::OK, render_rows(&s, &who, q.as_deref()).await)
}

/// What the create pane holds.
#[derive(Default)]
struct NewGroup {
    name: String,
    description: String,
    owner: Option<Id>,
}

#[derive(Template)]
#[template(path = "resources/group_create.html")]
struct CreatePane<'a> {
    csrf: &'a str,
    v: &'a NewGroup,
    owners: &'a [Owner],
    errors: FormErrors,
}

/// `GET /resource-groups/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = super::groups::owner_choices(&s, &who).await;
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
    answer(
        &s,
        &who,
        &headers,
        Answer::ok(pane).at("/resource-groups/new"),
    )
    .await
}

/// `POST /resource-groups`: creates a resource group and opens its pane.
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
    let created = match v.owner {
        None => Err(CoreError::invalid("unknown_owner", "owner", "choose one")),
        Some(owner) => {
            let input = CreateResourceGroup {
                name: v.name.clone(),
                description: Some(v.description.clone()).filter(|d| !d.is_empty()),
                owner,
            };
            s.service.create_resource_group(&who.ctx, input).await
        }
    };
    match created {
        Ok(g) => {
            let extras = Extras {
                notice: Some(format!("Created {}.", g.name)),
                ..Extras::default()
            };
            let pane = render_pane(&s, &who, g.id, extras).await;
            let a = Answer::ok(pane)
                .changed("resource-groups-changed")
                .at(format!("/resource-groups/{}", g.id));
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let owners = super::groups::owner_choices(&s, &who).await;
            let pane = render::text(&CreatePane {
                csrf: &who.csrf,
                v: &v,
                owners: &owners,
                errors: FormErrors::from_core(&e, &["name", "description", "owner"]),
            });
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

/// What the pane shows besides the stored group.
#[derive(Default)]
struct Extras {
    notice: Option<String>,
    errors: FormErrors,
    cursor: Option<String>,
    resource: String,
    typed: Option<who_has_access::Typed>,
}

#[derive(Template)]
#[template(path = "resources/group_details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    group: &'a ResourceGroup,
    owner: String,
    members: &'a [Resource],
    more: Option<String>,
    suggestions: &'a [String],
    resource: &'a str,
    access: String,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

async fn render_pane(s: &WebState, who: &Signed, id: Id, extras: Extras) -> String {
    let ctx = &who.ctx;
    let group = match s.service.get_resource_group(ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let mut errors = extras.errors;
    let owners = super::groups::owner_choices(s, who).await;
    let filter = ResourceFilter {
        group: Some(id),
        ..ResourceFilter::default()
    };
    let listed = match PageReq::parse(Some(MEMBERS_PAGE), extras.cursor.as_deref()) {
        Ok(p) => s.service.list_resources(ctx, &filter, p).await,
        Err(e) => Err(e),
    };
    let (members, more) = match listed {
        Ok(p) => (p.items, p.next_cursor),
        Err(e) => {
            errors.general.get_or_insert(panes::words(&e));
            (Vec::new(), None)
        }
    };
    let first = PageReq {
        after: None,
        limit: SUGGESTED,
    };
    let mut suggestions: Vec<String> = s
        .service
        .list_resources(ctx, &ResourceFilter::default(), first)
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !members.iter().any(|m| m.id == r.id))
        .map(|r| r.name)
        .collect();
    suggestions.sort();
    suggestions.dedup();
    let base = format!("/resource-groups/{id}");
    let access = who_has_access::section(s, who, &base, id, extras.typed, &errors).await;
    render::text(&DetailsPane {
        csrf: &who.csrf,
        owner: choices::owner_label(&owners, group.owner),
        group: &group,
        members: &members,
        more,
        suggestions: &suggestions,
        resource: &extras.resource,
        access,
        notice: extras.notice.as_deref(),
        errors: &errors,
    })
}

async fn respond(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    id: Id,
    extras: Extras,
) -> Response {
    let status = panes::status_for(!extras.errors.is_empty());
    let pane = render_pane(s, who, id, extras).await;
    answer(s, who, headers, Answer::ok(pane).status(status)).await
}

/// `GET /resource-groups/{id}`: a resource group's pane (`?members=CURSOR` pages).
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let extras = Extras {
        cursor: FormData::parse(q.unwrap_or_default().as_bytes()).get("members"),
        ..Extras::default()
    };
    respond(&s, &who, &headers, id, extras).await
}

/// The resource named exactly `name` (ignoring case); refused when none or several are.
async fn resource_by_name(s: &WebState, who: &Signed, name: &str) -> Result<Id, CoreError> {
    let filter = ResourceFilter {
        q: Some(name.to_string()),
        ..ResourceFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: LOOKUP_LIMIT,
    };
    let found: Vec<Resource> = s
        .service
        .list_resources(&who.ctx, &filter, page)
        .await?
        .items
        .into_iter()
        .filter(|r| r.name.eq_ignore_ascii_case(name))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CoreError::invalid(
            "unknown_resource",
            "resource",
            "no resource has this name",
        )),
        _ => Err(CoreError::invalid(
            "ambiguous_resource",
            "resource",
            "several resources have this name",
        )),
    }
}

/// `POST /resource-groups/{id}/members`: puts the resource with the typed name in it.
pub async fn add_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("resource").unwrap_or_default();
    let result = async {
        let r = resource_by_name(&s, &who, &name).await?;
        s.service.add_resource_to_group(&who.ctx, id, r).await
    }
    .await;
    let extras = match result {
        Ok(()) => Extras {
            notice: Some(format!("Added {name}.")),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::from_core(&e, &["resource"]),
            resource: name,
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /resource-groups/{id}/members/remove`: takes a resource out; it stays.
pub async fn remove_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("resource") {
        Some(r) => s.service.remove_resource_from_group(&who.ctx, id, r).await,
        None => Err(CoreError::not_found("resource group member")),
    };
    let extras = match result {
        Ok(()) => Extras {
            notice: Some("Taken out of the group; the resource stays.".into()),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::general(panes::words(&e)),
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /resource-groups/{id}/access`: gives a user or group read or read/write on every
/// resource of the group.
pub async fn give(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match who_has_access::give(&s, &who, id, &form).await {
        Ok(n) => Extras {
            notice: Some(n),
            ..Extras::default()
        },
        Err((errors, typed)) => Extras {
            errors,
            typed: Some(typed),
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /resource-groups/{id}/access/revoke`: takes access away.
pub async fn revoke(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match who_has_access::revoke(&s, &who, &form).await {
        Ok(n) => Extras {
            notice: Some(n),
            ..Extras::default()
        },
        Err(errors) => Extras {
            errors,
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /resource-groups/{id}/delete`: deletes the group and the grants held on it; its
/// resources stay.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let name = s
        .service
        .get_resource_group(&who.ctx, id)
        .await
        .map(|g| g.name);
    match s.service.delete_resource_group(&who.ctx, id, None).await {
        Ok(()) => {
            let text = format!(
                "Deleted {}; its resources stay.",
                name.unwrap_or_else(|_| "the resource group".into())
            );
            let a = Answer::ok(super::user_details::pane_message(&text))
                .changed("resource-groups-changed")
                .at("/resource-groups");
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let extras = Extras {
                errors: FormErrors::general(panes::words(&e)),
                ..Extras::default()
            };
            respond(&s, &who, &headers, id, extras).await
        }
    }
}
