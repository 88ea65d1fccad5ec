//! The Groups tab: the list (search by name, cursor paging), the create pane and group
//! details with members (add by username, remove).

use crate::choices::{self, Owner};
use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use roster_core::model::{Group, GroupKind};
use roster_core::page::PageReq;
use roster_core::service::{CreateGroup, GroupFilter, MemberView, UserFilter};
use roster_core::{CoreError, Id};

/// Groups shown per page of the list.
const PAGE_SIZE: u32 = 20;
/// Members shown per page of a group's details.
const MEMBERS_PAGE: u32 = 50;
/// Users looked at when a username is typed to add a member.
const LOOKUP_LIMIT: u32 = 20;

/// What a group is, in words.
fn kind_label(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Custom => "Custom group",
        GroupKind::Administrators => "Predefined: full rights on its owner",
        GroupKind::Users => "Predefined: read only on its owner",
        GroupKind::All => "Every user of the tenant",
    }
}

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
    rows: String,
    pane: String,
}

/// The query string of a search at `cursor`.
fn list_query(q: &str, cursor: Option<&str>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        out.append_pair("q", q);
    }
    if let Some(c) = cursor {
        out.append_pair("cursor", c);
    }
    out.finish()
}

async fn render_rows(s: &WebState, who: &Signed, raw: Option<&str>, owners: &[Owner]) -> String {
    let f = FormData::parse(raw.unwrap_or_default().as_bytes());
    let q = f.get("q").unwrap_or_default();
    let cursor = f.get("cursor");
    let filter = GroupFilter {
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        ..GroupFilter::default()
    };
    let listed = match PageReq::parse(Some(PAGE_SIZE), cursor.as_deref()) {
        Ok(page) => s.service.list_groups(&who.ctx, &filter, page).await,
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => Rows {
            groups: p
                .items
                .into_iter()
                .map(|g| GroupRow {
                    id: g.id,
                    owner: choices::owner_label(owners, g.owner),
                    predefined: g.is_predefined(),
                    description: g.description,
                    name: g.name,
                })
                .collect(),
            first: cursor.as_ref().map(|_| list_query(&q, None)),
            next: p.next_cursor.map(|c| list_query(&q, Some(&c))),
            error: None,
        },
        Err(e) => Rows {
            groups: Vec::new(),
            first: None,
            next: None,
            error: Some(messages::plain(&e)),
        },
    };
    render::text(&rows)
}

async fn owner_choices(s: &WebState, who: &Signed) -> Vec<Owner> {
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
    let q = FormData::parse(raw.unwrap_or_default().as_bytes())
        .get("q")
        .unwrap_or_default();
    let body = render::text(&GroupsPage { q: &q, rows, pane });
    render::page(s, who, status, "Groups", "users", body).await
}

/// A pane as the answer: the fragment for htmx (the list reloads when it changed), or the
/// whole Groups tab.
async fn pane_response(
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

/// `GET /groups/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = owner_choices(&s, &who).await;
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
            let pane = render_pane(
                &s,
                &who,
                g.id,
                None,
                Some(format!("Created {}.", g.name)),
                None,
            )
            .await;
            let url = format!("/groups/{}", g.id);
            pane_response(&s, &who, &headers, StatusCode::OK, pane, true, Some(&url)).await
        }
        Err(errors) => {
            let owners = owner_choices(&s, &who).await;
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

struct MemberRow {
    id: Id,
    login: String,
    name: String,
    window: String,
}

impl MemberRow {
    fn new(m: MemberView) -> MemberRow {
        let fmt = |t: roster_core::Timestamp| t.format("%Y-%m-%d").to_string();
        let window = match (m.valid_from, m.valid_until) {
            (None, None) => String::new(),
            (Some(f), None) => format!("from {}", fmt(f)),
            (None, Some(u)) => format!("until {}", fmt(u)),
            (Some(f), Some(u)) => format!("{} to {}", fmt(f), fmt(u)),
        };
        MemberRow {
            id: m.user.id,
            name: super::users::full_name(&m.user),
            login: m.user.login,
            window,
        }
    }
}

#[derive(Template)]
#[template(path = "groups/details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    group: &'a Group,
    kind: &'static str,
    owner: String,
    members: Vec<MemberRow>,
    fixed: bool,
    more: Option<String>,
    member_login: &'a str,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The details pane of group `id`, at members page `cursor`.
async fn render_pane(
    s: &WebState,
    who: &Signed,
    id: Id,
    cursor: Option<&str>,
    notice: Option<String>,
    failed: Option<(String, FormErrors)>,
) -> String {
    let group = match s.service.get_group(&who.ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&messages::plain(&e)),
    };
    let (member_login, mut errors) = failed.unwrap_or_default();
    let page = PageReq::parse(Some(MEMBERS_PAGE), cursor);
    let listed = match page {
        Ok(p) => s.service.list_members(&who.ctx, id, p).await,
        Err(e) => Err(e),
    };
    let (members, more) = match listed {
        Ok(p) => (
            p.items.into_iter().map(MemberRow::new).collect(),
            p.next_cursor,
        ),
        Err(e) => {
            errors.general.get_or_insert(messages::plain(&e));
            (Vec::new(), None)
        }
    };
    let owners = owner_choices(s, who).await;
    render::text(&DetailsPane {
        csrf: &who.csrf,
        kind: kind_label(group.kind),
        owner: choices::owner_label(&owners, group.owner),
        fixed: group.kind == GroupKind::All,
        group: &group,
        members,
        more,
        member_login: &member_login,
        notice: notice.as_deref(),
        errors: &errors,
    })
}

/// `GET /groups/{id}`: group details (`?members=CURSOR` pages through the members).
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let cursor = FormData::parse(q.unwrap_or_default().as_bytes()).get("members");
    let pane = render_pane(&s, &who, id, cursor.as_deref(), None, None).await;
    pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}

/// The user whose username is exactly `login` (ignoring case), among those the caller sees.
async fn find_user(s: &WebState, who: &Signed, login: &str) -> Result<Id, CoreError> {
    let filter = UserFilter {
        q: Some(login.to_string()),
        ..UserFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: LOOKUP_LIMIT,
    };
    let found = s.service.list_users(&who.ctx, &filter, page).await?;
    found
        .items
        .into_iter()
        .find(|u| u.login.eq_ignore_ascii_case(login))
        .map(|u| u.id)
        .ok_or_else(|| CoreError::invalid("unknown_user", "member", "no user has this username"))
}

/// `POST /groups/{id}/members`: adds the user with the typed username.
pub async fn add_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let login = form.get("member").unwrap_or_default();
    let added = match find_user(&s, &who, &login).await {
        Ok(user) => s
            .service
            .add_member(&who.ctx, id, user, None, None)
            .await
            .map(|j| j.member.user.login),
        Err(e) => Err(e),
    };
    let (status, pane) = match added {
        Ok(name) => (
            StatusCode::OK,
            render_pane(&s, &who, id, None, Some(format!("Added {name}.")), None).await,
        ),
        Err(e) => {
            let errors = FormErrors::from_core_renamed(&e, &["member"], &[("user", "member")]);
            let pane = render_pane(&s, &who, id, None, None, Some((login, errors))).await;
            (StatusCode::UNPROCESSABLE_ENTITY, pane)
        }
    };
    pane_response(&s, &who, &headers, status, pane, false, None).await
}

/// `POST /groups/{id}/members/remove`: takes a member out; their account stays.
pub async fn remove_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("user") {
        Some(user) => s.service.remove_member(&who.ctx, id, user).await,
        None => Err(CoreError::invalid("unknown_user", "member", "no such user")),
    };
    let pane = match result {
        Ok(()) => {
            render_pane(
                &s,
                &who,
                id,
                None,
                Some("Removed from the group.".into()),
                None,
            )
            .await
        }
        Err(e) => {
            let errors = FormErrors::general(messages::plain(&e));
            render_pane(&s, &who, id, None, None, Some((String::new(), errors))).await
        }
    };
    pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}
