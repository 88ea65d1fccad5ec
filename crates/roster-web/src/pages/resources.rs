//! The Resources page's first tab (TrueCommand's "systems"): resources of the registered
//! types (search, filter by type, cursor paging), creating one, and on its pane who has
//! access — read or read/write — with delete.

use super::panes::{self, Answer};
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
use roster_core::model::Resource;
use roster_core::page::PageReq;
use roster_core::service::{CreateResource, ResourceFilter};
use roster_core::{CoreError, Id};

/// Resources shown per page of the list.
const PAGE_SIZE: u32 = 20;

/// The list's search and filter.
#[derive(Default)]
struct ListParams {
    q: String,
    rtype: String,
    cursor: Option<String>,
}

impl ListParams {
    fn parse(raw: Option<&str>) -> ListParams {
        let f = FormData::parse(raw.unwrap_or_default().as_bytes());
        ListParams {
            q: f.get("q").unwrap_or_default(),
            rtype: f.get("type").unwrap_or_default(),
            cursor: f.get("cursor"),
        }
    }

    fn query(&self, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if !self.rtype.is_empty() {
            out.append_pair("type", &self.rtype);
        }
        if let Some(c) = cursor {
            out.append_pair("cursor", c);
        }
        out.finish()
    }
}

struct ResourceRow {
    id: Id,
    name: String,
    rtype: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "resources/rows.html")]
struct Rows {
    resources: Vec<ResourceRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "resources/page.html")]
struct ResourcesPage<'a> {
    params: &'a ListParams,
    types: &'a [String],
    rows: String,
    pane: String,
}

/// The names of the application's registered types.
pub async fn app_types(s: &WebState, who: &Signed) -> Vec<String> {
    s.service
        .list_resource_types(&who.ctx)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !t.builtin)
        .map(|t| t.name)
        .collect()
}

async fn render_rows(s: &WebState, who: &Signed, params: &ListParams) -> String {
    let owners = super::groups::owner_choices(s, who).await;
    let filter = ResourceFilter {
        rtype: Some(params.rtype.clone()).filter(|t| !t.is_empty()),
        q: Some(params.q.clone()).filter(|q| !q.is_empty()),
        ..ResourceFilter::default()
    };
    let listed = match PageReq::parse(Some(PAGE_SIZE), params.cursor.as_deref()) {
        Ok(page) => s.service.list_resources(&who.ctx, &filter, page).await,
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => Rows {
            resources: p
                .items
                .into_iter()
                .map(|r| ResourceRow {
                    id: r.id,
                    owner: choices::owner_label(&owners, r.owner),
                    name: r.name,
                    rtype: r.rtype,
                })
                .collect(),
            first: params.cursor.as_ref().map(|_| params.query(None)),
            next: p.next_cursor.map(|c| params.query(Some(&c))),
            error: None,
        },
        Err(e) => Rows {
            resources: Vec::new(),
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
    let params = ListParams::parse(raw);
    let rows = render_rows(s, who, &params).await;
    let types = app_types(s, who).await;
    let body = render::text(&ResourcesPage {
        params: &params,
        types: &types,
        rows,
        pane,
    });
    render::page(s, who, status, "Resources", "resources", body).await
}

async fn answer(s: &WebState, who: &Signed, headers: &HeaderMap, a: Answer) -> Response {
    match a.fragment(headers) {
        Ok(res) => res,
        Err(a) => full_page(s, who, None, a.status, a.pane).await,
    }
}

/// `GET /resources`: the Resources tab.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /resources/rows`: the list alone.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let params = ListParams::parse(q.as_deref());
    render::fragment(StatusCode::OK, render_rows(&s, &who, &params).await)
}

/// What the create pane holds.
#[derive(Default)]
struct NewResource {
    rtype: String,
    name: String,
    owner: Option<Id>,
}

#[derive(Template)]
#[template(path = "resources/create.html")]
struct CreatePane<'a> {
    csrf: &'a str,
    v: &'a NewResource,
    types: &'a [String],
    owners: &'a [Owner],
    errors: FormErrors,
}

/// `GET /resources/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = super::groups::owner_choices(&s, &who).await;
    let types = app_types(&s, &who).await;
    let v = NewResource {
        owner: owners.first().map(|o| o.id),
        rtype: types.first().cloned().unwrap_or_default(),
        ..NewResource::default()
    };
    let pane = render::text(&CreatePane {
        csrf: &who.csrf,
        v: &v,
        types: &types,
        owners: &owners,
        errors: FormErrors::none(),
    });
    answer(&s, &who, &headers, Answer::ok(pane).at("/resources/new")).await
}

/// `POST /resources`: creates a resource and opens its pane.
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = NewResource {
        rtype: form.get("type").unwrap_or_default(),
        name: form.get("name").unwrap_or_default(),
        owner: form.id("owner"),
    };
    let created = match v.owner {
        None => Err(CoreError::invalid("unknown_owner", "owner", "choose one")),
        Some(owner) => {
            let input = CreateResource {
                rtype: v.rtype.clone(),
                name: v.name.clone(),
                owner,
            };
            s.service.create_resource(&who.ctx, input).await
        }
    };
    match created {
        Ok(r) => {
            let pane = render_pane(
                &s,
                &who,
                r.id,
                Some(format!("Created {}.", r.name)),
                FormErrors::none(),
                None,
            )
            .await;
            let a = Answer::ok(pane)
                .changed("resources-changed")
                .at(format!("/resources/{}", r.id));
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let owners = super::groups::owner_choices(&s, &who).await;
            let types = app_types(&s, &who).await;
            let pane = render::text(&CreatePane {
                csrf: &who.csrf,
                v: &v,
                types: &types,
                owners: &owners,
                errors: FormErrors::from_core(&e, &["type", "name", "owner"]),
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

#[derive(Template)]
#[template(path = "resources/details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    resource: &'a Resource,
    owner: String,
    access: String,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

async fn render_pane(
    s: &WebState,
    who: &Signed,
    id: Id,
    notice: Option<String>,
    errors: FormErrors,
    typed: Option<who_has_access::Typed>,
) -> String {
    let r = match s.service.get_resource(&who.ctx, id).await {
        Ok(r) => r,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let owners = super::groups::owner_choices(s, who).await;
    let base = format!("/resources/{id}");
    let access = who_has_access::section(s, who, &base, id, typed, &errors).await;
    render::text(&DetailsPane {
        csrf: &who.csrf,
        owner: choices::owner_label(&owners, r.owner),
        resource: &r,
        access,
        notice: notice.as_deref(),
        errors: &errors,
    })
}

/// `GET /resources/{id}`: a resource's pane.
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    let pane = render_pane(&s, &who, id, None, FormErrors::none(), None).await;
    answer(&s, &who, &headers, Answer::ok(pane)).await
}

/// `POST /resources/{id}/access`: gives a user or group read or read/write on it.
pub async fn give(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let (notice, errors, typed) = match who_has_access::give(&s, &who, id, &form).await {
        Ok(n) => (Some(n), FormErrors::none(), None),
        Err((e, t)) => (None, e, Some(t)),
    };
    let status = panes::status_for(!errors.is_empty());
    let pane = render_pane(&s, &who, id, notice, errors, typed).await;
    answer(&s, &who, &headers, Answer::ok(pane).status(status)).await
}

/// `POST /resources/{id}/access/revoke`: takes access away.
pub async fn revoke(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let (notice, errors) = match who_has_access::revoke(&s, &who, &form).await {
        Ok(n) => (Some(n), FormErrors::none()),
        Err(e) => (None, e),
    };
    let status = panes::status_for(!errors.is_empty());
    let pane = render_pane(&s, &who, id, notice, errors, None).await;
    answer(&s, &who, &headers, Answer::ok(pane).status(status)).await
}

/// `POST /resources/{id}/delete`: deletes a resource with the grants held on it.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let name = s.service.get_resource(&who.ctx, id).await.map(|r| r.name);
    match s.service.delete_resource(&who.ctx, id, None).await {
        Ok(()) => {
            let text = format!(
                "Deleted {}.",
                name.unwrap_or_else(|_| "the resource".into())
            );
            let a = Answer::ok(super::user_details::pane_message(&text))
                .changed("resources-changed")
                .at("/resources");
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let pane = render_pane(
                &s,
                &who,
                id,
                None,
                FormErrors::general(panes::words(&e)),
                None,
            )
            .await;
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
