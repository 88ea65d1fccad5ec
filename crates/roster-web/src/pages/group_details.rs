//! A group's details pane, its first tab: name and description, members with their validity
//! windows (add by username, remove), and for a group that belongs to projects a picker whose
//! rows show who is already in another group of an exclusive project.

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
use roster_core::model::{Group, GroupKind, GroupLevel, Project};
use roster_core::page::PageReq;
use roster_core::service::{MemberView, UpdateGroup, UserFilter};
use roster_core::{now, CoreError, Id};

/// Members shown per page of a group's details.
const MEMBERS_PAGE: u32 = 50;
/// Users shown per page of the member picker.
const PICKER_PAGE: u32 = 20;

/// What a group is, in words.
pub fn kind_label(kind: GroupKind) -> &'static str {
    match kind {
        GroupKind::Custom => "Custom group",
        GroupKind::Administrators => "Predefined: full rights on its owner",
        GroupKind::Users => "Predefined: read only on its owner",
        GroupKind::All => "Every user of the tenant",
    }
}

/// The tabs of a group's pane.
#[derive(Template)]
#[template(path = "groups/pane_tabs.html")]
pub struct PaneTabs<'a> {
    /// The group.
    pub id: Id,
    /// Which tab shows: `members`, `roles`, `access` or `delete`.
    pub tab: &'a str,
}

/// The pane's tab bar, rendered.
pub fn tabs(id: Id, tab: &str) -> String {
    render::text(&PaneTabs { id, tab })
}

/// What the pane shows besides the stored group.
#[derive(Debug, Default)]
pub struct Extras {
    /// What just happened.
    pub notice: Option<String>,
    /// Errors to show.
    pub errors: FormErrors,
    /// The name and description as typed, when saving them failed.
    pub typed: Option<(String, String)>,
    /// The member form as typed (username, from, until), when adding failed.
    pub member: Option<(String, String, String)>,
    /// Members page cursor.
    pub cursor: Option<String>,
    /// The picker's search and page cursor.
    pub picker: Option<(String, Option<String>)>,
}

struct MemberRow {
    id: Id,
    login: String,
    name: String,
    window: String,
    state: &'static str,
}

impl MemberRow {
    fn new(m: MemberView) -> MemberRow {
        let at = now();
        MemberRow {
            id: m.user.id,
            name: super::users::full_name(&m.user),
            login: m.user.login,
            window: panes::window_label(m.valid_from, m.valid_until),
            state: panes::window_state(m.valid_from, m.valid_until, at),
        }
    }
}

/// A row of the member picker.
pub struct Candidate {
    id: Id,
    login: String,
    name: String,
    /// Already a member of this group.
    member: bool,
    /// The group (and project) that keeps them out: another group of an exclusive project.
    blocked_by: Option<String>,
}

#[derive(Template)]
#[template(path = "groups/candidates.html")]
struct CandidateRows<'a> {
    group: Id,
    rows: &'a [Candidate],
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "groups/details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    tabs: String,
    group: &'a Group,
    kind: &'static str,
    owner: String,
    projects: &'a [Project],
    name: &'a str,
    description: &'a str,
    members: Vec<MemberRow>,
    fixed: bool,
    more: Option<String>,
    member_login: &'a str,
    member_from: &'a str,
    member_until: &'a str,
    pick_q: &'a str,
    picker: Option<String>,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

/// The picker's rows: a page of users matching `q`, each marked when they are a member
/// already or in another group of one of the group's exclusive projects.
async fn candidates(
    s: &WebState,
    who: &Signed,
    group: &Group,
    projects: &[Project],
    q: &str,
    cursor: Option<&str>,
) -> String {
    let listed = match PageReq::parse(Some(PICKER_PAGE), cursor) {
        Ok(page) => {
            let filter = UserFilter {
                q: Some(q.to_string()).filter(|q| !q.is_empty()),
                ..UserFilter::default()
            };
            s.service.list_users(&who.ctx, &filter, page).await
        }
        Err(e) => Err(e),
    };
    let page = match listed {
        Ok(p) => p,
        Err(e) => {
            return render::text(&CandidateRows {
                group: group.id,
                rows: &[],
                next: None,
                error: Some(panes::words(&e)),
            })
        }
    };
    let ids: Vec<Id> = page.items.iter().map(|u| u.id).collect();
    let mut rows: Vec<Candidate> = page
        .items
        .into_iter()
        .map(|u| Candidate {
            id: u.id,
            name: super::users::full_name(&u),
            login: u.login,
            member: false,
            blocked_by: None,
        })
        .collect();
    let mut error = None;
    for p in projects {
        match s
            .service
            .project_group_memberships(&who.ctx, p.id, &ids)
            .await
        {
            Ok(found) => {
                for (user, g) in found {
                    let Some(row) = rows.iter_mut().find(|r| r.id == user) else {
                        continue;
                    };
                    if g.id == group.id {
                        row.member = true;
                    } else if p.exclusive && row.blocked_by.is_none() {
                        row.blocked_by = Some(format!("{} (project {})", g.name, p.name));
                    }
                }
            }
            Err(e) => error = Some(panes::words(&e)),
        }
    }
    let next = page.next_cursor.map(|c| {
        let mut out = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            out.append_pair("q", q);
        }
        out.append_pair("pick", &c);
        out.finish()
    });
    render::text(&CandidateRows {
        group: group.id,
        rows: &rows,
        next,
        error,
    })
}

/// The details pane of group `id`.
pub async fn render_pane(s: &WebState, who: &Signed, id: Id, extras: Extras) -> String {
    let group = match s.service.get_group(&who.ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let mut errors = extras.errors;
    let listed = match PageReq::parse(Some(MEMBERS_PAGE), extras.cursor.as_deref()) {
        Ok(p) => s.service.list_members(&who.ctx, id, p).await,
        Err(e) => Err(e),
    };
    let (members, more) = match listed {
        Ok(p) => (
            p.items.into_iter().map(MemberRow::new).collect(),
            p.next_cursor,
        ),
        Err(e) => {
            errors.general.get_or_insert(panes::words(&e));
            (Vec::new(), None)
        }
    };
    let projects = s
        .service
        .group_projects(&who.ctx, id)
        .await
        .unwrap_or_default();
    let owner = match group.level {
        GroupLevel::Project => projects
            .iter()
            .find(|p| p.id == group.owner)
            .map_or_else(|| "—".to_string(), |p| format!("project {}", p.name)),
        GroupLevel::Org => {
            let owners = groups::owner_choices(s, who).await;
            choices::owner_label(&owners, group.owner)
        }
    };
    let fixed = group.kind == GroupKind::All;
    let (pick_q, pick_cursor) = extras.picker.unwrap_or_default();
    let picker = if projects.is_empty() || fixed {
        None
    } else {
        Some(candidates(s, who, &group, &projects, &pick_q, pick_cursor.as_deref()).await)
    };
    let (name, description) = extras
        .typed
        .unwrap_or_else(|| (group.name.clone(), group.description.clone()));
    let (member_login, member_from, member_until) = extras.member.unwrap_or_default();
    render::text(&DetailsPane {
        csrf: &who.csrf,
        tabs: tabs(id, "members"),
        kind: kind_label(group.kind),
        owner,
        projects: &projects,
        name: &name,
        description: &description,
        fixed,
        group: &group,
        members,
        more,
        member_login: &member_login,
        member_from: &member_from,
        member_until: &member_until,
        pick_q: &pick_q,
        picker,
        notice: extras.notice.as_deref(),
        errors: &errors,
    })
}

/// Answers with the details pane; `changed` reloads the list too.
async fn answer(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    id: Id,
    extras: Extras,
    changed: bool,
) -> Response {
    let status = panes::status_for(!extras.errors.is_empty());
    let pane = render_pane(s, who, id, extras).await;
    let mut a = Answer::ok(pane).status(status);
    if changed {
        a = a.changed("groups-changed");
    }
    groups::answer(s, who, headers, a).await
}

/// `GET /groups/{id}`: group details (`?members=CURSOR` pages through the members,
/// `?q=…&pick=CURSOR` searches and pages the member picker).
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let f = FormData::parse(q.unwrap_or_default().as_bytes());
    let extras = Extras {
        cursor: f.get("members"),
        picker: Some((f.get("q").unwrap_or_default(), f.get("pick"))),
        ..Extras::default()
    };
    answer(&s, &who, &headers, id, extras, false).await
}

/// `POST /groups/{id}`: saves the name and description; on an error they stay as typed.
pub async fn edit(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("name").unwrap_or_default();
    let description = form.get("description").unwrap_or_default();
    let change = UpdateGroup {
        name: Some(name.clone()),
        description: Some(description.clone()),
        level: None,
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    let extras = match s.service.update_group(&who.ctx, id, &change, version).await {
        Ok(_) => Extras {
            notice: Some("Saved.".into()),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::from_core(&e, &["name", "description"]),
            typed: Some((name, description)),
            ..Extras::default()
        },
    };
    answer(&s, &who, &headers, id, extras, true).await
}

/// The projects a membership just brought the user into, in words ("" for none).
async fn joined_words(s: &WebState, who: &Signed, joined: &[Id]) -> String {
    if joined.is_empty() {
        return String::new();
    }
    let mut names = Vec::new();
    for p in joined {
        names.push(
            s.service
                .get_project(&who.ctx, *p)
                .await
                .map_or_else(|_| p.to_string(), |p| p.name),
        );
    }
    let noun = if names.len() == 1 {
        "project"
    } else {
        "projects"
    };
    format!(" With it they joined {noun} {}.", names.join(", "))
}

/// `POST /groups/{id}/members`: adds the user with the typed username, for the typed days
/// (or changes the days of a member's membership).
pub async fn add_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let login = form.get("member").unwrap_or_default();
    let from = form.get("valid_from");
    let until = form.get("valid_until");
    let added = async {
        let valid_from = panes::day_start("valid_from", from.as_deref())?;
        let valid_until = panes::day_end("valid_until", until.as_deref())?;
        let user = panes::user_by_login(&s, &who, &login, "member").await?;
        s.service
            .add_member(&who.ctx, id, user, valid_from, valid_until)
            .await
    }
    .await;
    let extras = match added {
        Ok(j) => {
            let window = panes::window_label(j.member.valid_from, j.member.valid_until);
            let window = if window.is_empty() {
                String::new()
            } else {
                format!(" ({window})")
            };
            Extras {
                notice: Some(format!(
                    "Added {}{window}.{}",
                    j.member.user.login,
                    joined_words(&s, &who, &j.projects_joined).await
                )),
                ..Extras::default()
            }
        }
        Err(e) => Extras {
            errors: FormErrors::from_core_renamed(
                &e,
                &["member", "valid_from", "valid_until"],
                &[("user", "member")],
            ),
            member: Some((login, from.unwrap_or_default(), until.unwrap_or_default())),
            ..Extras::default()
        },
    };
    answer(&s, &who, &headers, id, extras, false).await
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
    let extras = match result {
        Ok(()) => Extras {
            notice: Some("Removed from the group; the account stays.".into()),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::general(panes::words(&e)),
            ..Extras::default()
        },
    };
    answer(&s, &who, &headers, id, extras, false).await
}

/// `GET /groups/{id}/candidates?q=…&pick=…`: the member picker's rows.
pub async fn candidate_rows(
    State(s): State<WebState>,
    who: Signed,
    Path(id): Path<Id>,
    RawQuery(q): RawQuery,
) -> Response {
    let f = FormData::parse(q.unwrap_or_default().as_bytes());
    let text = f.get("q").unwrap_or_default();
    let group = match s.service.get_group(&who.ctx, id).await {
        Ok(g) => g,
        Err(e) => {
            return render::fragment(
                axum::http::StatusCode::NOT_FOUND,
                super::user_details::pane_message(&panes::words(&e)),
            )
        }
    };
    let projects = s
        .service
        .group_projects(&who.ctx, id)
        .await
        .unwrap_or_default();
    let rows = candidates(&s, &who, &group, &projects, &text, f.get("pick").as_deref()).await;
    render::fragment(axum::http::StatusCode::OK, rows)
}

/// `POST /groups/{id}/members/pick`: adds every ticked user; each that cannot join is named
/// with the reason.
pub async fn pick_members(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let mut added = Vec::new();
    let mut joined = Vec::new();
    let mut refused = Vec::new();
    for user in form.ids("user") {
        match s.service.add_member(&who.ctx, id, user, None, None).await {
            Ok(j) => {
                added.push(j.member.user.login);
                joined.extend(j.projects_joined);
            }
            Err(e) => {
                let login = s
                    .service
                    .get_user(&who.ctx, user)
                    .await
                    .map_or_else(|_| user.to_string(), |u| u.login);
                refused.push(format!("{login}: {}", panes::words(&e)));
            }
        }
    }
    joined.sort();
    joined.dedup();
    let notice = match added.len() {
        0 if refused.is_empty() => Some("Tick the users to add first.".to_string()),
        0 => None,
        _ => Some(format!(
            "Added {}.{}",
            added.join(", "),
            joined_words(&s, &who, &joined).await
        )),
    };
    let extras = Extras {
        notice,
        errors: if refused.is_empty() {
            FormErrors::none()
        } else {
            FormErrors::general(refused.join(" "))
        },
        ..Extras::default()
    };
    answer(&s, &who, &headers, id, extras, false).await
}
