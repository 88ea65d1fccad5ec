//! The Users tab: the list (search as you type, filters, cursor paging) and the create pane.

use super::user_details;
use crate::choices::{self, GroupChoice, Owner};
use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use roster_core::model::{GroupKind, User, UserStatus};
use roster_core::page::PageReq;
use roster_core::service::{ActivationLink, CreateUser, UserFilter};
use roster_core::{CoreError, Id};

/// Users shown per page of the list.
const PAGE_SIZE: u32 = 20;

/// The statuses the list can be filtered by, with their labels.
const STATUSES: &[(&str, &str)] = &[
    ("", "Any status"),
    ("active", "Active"),
    ("pending", "Pending activation"),
    ("disabled", "Disabled"),
];

/// A status in words.
pub fn status_label(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "Active",
        UserStatus::Pending => "Pending activation",
        UserStatus::Disabled => "Disabled",
    }
}

/// The list's search, filters and position, as read from (and written to) a query string.
#[derive(Debug, Default)]
struct ListParams {
    q: String,
    status: String,
    owner: Option<Id>,
    cursor: Option<String>,
}

impl ListParams {
    fn parse(raw: Option<&str>) -> ListParams {
        let f = FormData::parse(raw.unwrap_or_default().as_bytes());
        ListParams {
            q: f.get("q").unwrap_or_default(),
            status: f
                .get("status")
                .filter(|s| UserStatus::parse(s).is_some())
                .unwrap_or_default(),
            owner: f.id("owner"),
            cursor: f.get("cursor"),
        }
    }

    /// The query string of these filters, at `cursor` (or the first page).
    fn query(&self, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            out.append_pair("q", &self.q);
        }
        if !self.status.is_empty() {
            out.append_pair("status", &self.status);
        }
        if let Some(o) = self.owner {
            out.append_pair("owner", &o.to_string());
        }
        if let Some(c) = cursor {
            out.append_pair("cursor", c);
        }
        out.finish()
    }
}

/// One row of the list.
struct UserRow {
    id: Id,
    login: String,
    name: String,
    email: String,
    status: &'static str,
    status_class: &'static str,
    owner: String,
}

impl UserRow {
    fn new(u: User, owners: &[Owner]) -> UserRow {
        UserRow {
            id: u.id,
            name: full_name(&u),
            email: u.email.unwrap_or_default(),
            status: status_label(u.status),
            status_class: u.status.as_str(),
            owner: choices::owner_label(owners, u.owner),
            login: u.login,
        }
    }
}

/// First and last name, as far as known.
pub fn full_name(u: &User) -> String {
    [u.first_name.as_deref(), u.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Template)]
#[template(path = "users/rows.html")]
struct Rows {
    users: Vec<UserRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "users/page.html")]
struct UsersPage<'a> {
    params: &'a ListParams,
    statuses: &'a [(&'a str, &'a str)],
    owners: &'a [Owner],
    /// Whether the caller may create a user under one of the owners (shows "Create user").
    may_create: bool,
    rows: String,
    pane: String,
}

/// One page of the list, rendered.
async fn render_rows(s: &WebState, who: &Signed, params: &ListParams, owners: &[Owner]) -> String {
    let filter = UserFilter {
        owner: params.owner,
        group: None,
        status: UserStatus::parse(&params.status),
        q: Some(params.q.clone()).filter(|q| !q.is_empty()),
    };
    let page = PageReq::parse(Some(PAGE_SIZE), params.cursor.as_deref());
    let listed = match page {
        Ok(page) => s.service.list_users(&who.ctx, &filter, page).await,
        Err(e) => Err(e),
    };
    let rows = match listed {
        Ok(p) => Rows {
            users: p
                .items
                .into_iter()
                .map(|u| UserRow::new(u, owners))
                .collect(),
            first: params.cursor.as_ref().map(|_| params.query(None)),
            next: p.next_cursor.map(|c| params.query(Some(&c))),
            error: None,
        },
        Err(e) => Rows {
            users: Vec::new(),
            first: None,
            next: None,
            error: Some(messages::plain(&e)),
        },
    };
    render::text(&rows)
}

/// The owners the caller may choose from; none (with the failure logged) if they cannot be
/// listed, which leaves the owner choices empty rather than failing the page.
async fn owner_choices(s: &WebState, who: &Signed) -> Vec<Owner> {
    choices::owners(&s.service, &who.ctx)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "listing owners for the console failed");
            Vec::new()
        })
}

/// The whole Users tab around a pane.
pub async fn full_page(
    s: &WebState,
    who: &Signed,
    raw_query: Option<&str>,
    status: StatusCode,
    pane: String,
) -> Response {
    let params = ListParams::parse(raw_query);
    let owners = owner_choices(s, who).await;
    let rows = render_rows(s, who, &params, &owners).await;
    let body = render::text(&UsersPage {
        params: &params,
        statuses: STATUSES,
        owners: &owners,
        may_create: !choices::creatable(&s.service, &who.ctx, "user", &owners).is_empty(),
        rows,
        pane,
    });
    render::page(s, who, status, "Users", "users", body).await
}

/// A pane as the answer to a request: the fragment for htmx (telling the list to reload
/// when it changed, and the address bar where the pane lives), or the whole page.
pub async fn pane_response(
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
            .insert("hx-trigger", HeaderValue::from_static("users-changed"));
    }
    if let Some(v) = url.and_then(|u| HeaderValue::from_str(u).ok()) {
        res.headers_mut().insert("hx-push-url", v);
    }
    res
}

/// `GET /users`: the Users tab.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /users/rows`: the list alone, for search as you type, filters and paging.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let params = ListParams::parse(q.as_deref());
    let owners = owner_choices(&s, &who).await;
    render::fragment(
        StatusCode::OK,
        render_rows(&s, &who, &params, &owners).await,
    )
}

/// What the create pane holds: what was typed (never the passwords) and ticked.
#[derive(Debug)]
struct NewUser {
    method: String,
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    phone: String,
    enabled: bool,
    must_change: bool,
    owner: Option<Id>,
    role: String,
    groups: Vec<Id>,
}

impl NewUser {
    fn blank(owner: Option<Id>) -> NewUser {
        NewUser {
            method: "password".into(),
            login: String::new(),
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            phone: String::new(),
            enabled: true,
            must_change: false,
            owner,
            role: "user".into(),
            groups: Vec::new(),
        }
    }

    fn from_form(f: &FormData) -> NewUser {
        let pick = |name: &str, allowed: &[&str], default: &str| {
            f.get(name)
                .filter(|v| allowed.contains(&v.as_str()))
                .unwrap_or_else(|| default.to_string())
        };
        NewUser {
            method: pick("method", &["password", "link", "email"], "password"),
            login: f.get("login").unwrap_or_default(),
            email: f.get("email").unwrap_or_default(),
            first_name: f.get("first_name").unwrap_or_default(),
            last_name: f.get("last_name").unwrap_or_default(),
            phone: f.get("phone").unwrap_or_default(),
            enabled: f.ticked("enabled"),
            must_change: f.ticked("must_change_password"),
            owner: f.id("owner"),
            role: pick("role", &["user", "admin", "none"], "none"),
            groups: f.ids("groups"),
        }
    }
}

/// A text as an optional value: blank is absent.
fn opt(v: &str) -> Option<String> {
    Some(v.to_string()).filter(|v| !v.is_empty())
}

#[derive(Template)]
#[template(path = "users/create.html")]
struct CreatePane<'a> {
    csrf: &'a str,
    v: &'a NewUser,
    owners: &'a [Owner],
    group_choices: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "users/group_choices.html")]
struct GroupChoices<'a> {
    groups: &'a [GroupChoice],
    ticked: &'a [Id],
    error: Option<&'a str>,
}

/// The groups a new user of `owner` may join, as checkboxes.
async fn render_group_choices(
    s: &WebState,
    who: &Signed,
    owners: &[Owner],
    owner: Option<Id>,
    ticked: &[Id],
) -> String {
    let (groups, error) = match owner {
        None => (Vec::new(), None),
        Some(o) => match choices::groups_for(&s.service, &who.ctx, owners, o).await {
            Ok(g) => (g, None),
            Err(e) => (Vec::new(), Some(messages::plain(&e))),
        },
    };
    render::text(&GroupChoices {
        groups: &groups,
        ticked,
        error: error.as_deref(),
    })
}

async fn render_create(
    s: &WebState,
    who: &Signed,
    owners: &[Owner],
    v: &NewUser,
    errors: FormErrors,
) -> String {
    let group_choices = render_group_choices(s, who, owners, v.owner, &v.groups).await;
    render::text(&CreatePane {
        csrf: &who.csrf,
        v,
        owners: &choices::creatable(&s.service, &who.ctx, "user", owners),
        group_choices,
        errors,
    })
}

/// `GET /users/new`: the create pane.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = owner_choices(&s, &who).await;
    let v = NewUser::blank(
        choices::creatable(&s.service, &who.ctx, "user", &owners)
            .first()
            .map(|o| o.id),
    );
    let pane = render_create(&s, &who, &owners, &v, FormErrors::none()).await;
    pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}

/// `GET /users/new/groups?owner=…`: the group checkboxes for another owner.
pub async fn group_choices(
    State(s): State<WebState>,
    who: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    let owner = FormData::parse(q.unwrap_or_default().as_bytes()).id("owner");
    let owners = owner_choices(&s, &who).await;
    render::fragment(
        StatusCode::OK,
        render_group_choices(&s, &who, &owners, owner, &[]).await,
    )
}

/// The predefined group the role shortcut stands for, among the owner's groups.
fn role_group(groups: &[GroupChoice], owner: Id, role: &str) -> Option<Id> {
    let kind = match role {
        "admin" => GroupKind::Administrators,
        "user" => GroupKind::Users,
        _ => return None,
    };
    groups
        .iter()
        .find(|g| g.owner == owner && g.kind == kind)
        .map(|g| g.id)
}

/// The fields of the create pane, for placing errors.
const CREATE_FIELDS: &[&str] = &[
    "login",
    "email",
    "password",
    "confirm",
    "first_name",
    "last_name",
    "phone",
    "owner",
    "groups",
];

/// `POST /users`: creates the user, then opens their details pane (with the activation link
/// when that was the chosen method). On an error the pane comes back as typed.
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = NewUser::from_form(&form);
    let owners = owner_choices(&s, &who).await;
    let mut errors = FormErrors::none();
    let password = (v.method == "password")
        .then(|| form.secret("password"))
        .flatten();
    if v.method == "password" {
        if password.is_none() {
            errors.add("password", "Fill this in.");
        } else if form.secret("confirm") != password {
            errors.add("confirm", "The two passwords differ.");
        }
    } else if v.email.is_empty() {
        errors.add(
            "email",
            "Fill this in: the activation link needs an address.",
        );
    }
    let Some(owner) = v.owner else {
        errors.add("owner", "Choose an owner.");
        return create_failed(&s, &who, &headers, &owners, &v, errors).await;
    };
    if !errors.is_empty() {
        return create_failed(&s, &who, &headers, &owners, &v, errors).await;
    }
    let mut groups = v.groups.clone();
    if v.role != "none" {
        let choices = choices::groups_for(&s.service, &who.ctx, &owners, owner)
            .await
            .unwrap_or_default();
        groups.extend(role_group(&choices, owner, &v.role));
    }
    let input = CreateUser {
        login: opt(&v.login),
        email: opt(&v.email),
        first_name: opt(&v.first_name),
        last_name: opt(&v.last_name),
        phone: opt(&v.phone),
        owner,
        kind: None,
        password,
        enabled: v.enabled,
        groups,
        must_change_password: v.must_change && v.method == "password",
    };
    let user = match s.service.create_user(&who.ctx, input).await {
        Ok(u) => u,
        Err(e) => {
            let errors = FormErrors::from_core(&e, CREATE_FIELDS);
            return create_failed(&s, &who, &headers, &owners, &v, errors).await;
        }
    };
    let mut notice = format!("Created {}.", user.login);
    let mut link = None;
    if v.method != "password" {
        match s
            .service
            .create_activation_link(&who.ctx, user.id, v.method == "email")
            .await
        {
            Ok(ActivationLink::Shown { url, expires_at }) => link = Some((url, expires_at)),
            Ok(ActivationLink::Sent { to, .. }) => {
                notice = format!("Created {}; the activation link went to {to}.", user.login)
            }
            Err(e) => notice = format!("Created {}, but: {}", user.login, messages::plain(&e)),
        }
    }
    let extras = user_details::Extras {
        notice: Some(notice),
        activation: link,
        ..user_details::Extras::default()
    };
    let pane = user_details::render_pane(&s, &who, user.id, extras).await;
    let url = format!("/users/{}", user.id);
    pane_response(&s, &who, &headers, StatusCode::OK, pane, true, Some(&url)).await
}

async fn create_failed(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    owners: &[Owner],
    v: &NewUser,
    errors: FormErrors,
) -> Response {
    let pane = render_create(s, who, owners, v, errors).await;
    pane_response(
        s,
        who,
        headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        pane,
        false,
        None,
    )
    .await
}

/// A user to show in the pane, or the error in words.
pub async fn load_user(s: &WebState, who: &Signed, id: Id) -> Result<User, String> {
    s.service
        .get_user(&who.ctx, id)
        .await
        .map_err(|e: CoreError| messages::plain(&e))
}
