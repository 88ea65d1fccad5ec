//! The Projects page: the list (search by name, cursor paging), the create pane (exclusive
//! by default) and project details: members, project-level groups (created here, their level
//! fixed), system-level groups (org-level groups attached: "add existing system level user
//! group", detach), and delete.

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
use roster_core::model::{Group, GroupKind, Project};
use roster_core::page::PageReq;
use roster_core::service::{CreateGroup, CreateProject, GroupFilter, UpdateProject};
use roster_core::{CoreError, Id};

/// Projects shown per page of the list.
const PAGE_SIZE: u32 = 20;
/// Members shown per page of a project's details.
const MEMBERS_PAGE: u32 = 50;
/// At most this many project-level groups are shown.
const GROUPS_SHOWN: u32 = 100;

struct ProjectRow {
    id: Id,
    name: String,
    owner: String,
    exclusive: bool,
}

#[derive(Template)]
#[template(path = "projects/rows.html")]
struct Rows {
    projects: Vec<ProjectRow>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "projects/page.html")]
struct ProjectsPage<'a> {
    q: &'a str,
    rows: String,
    pane: String,
}

async fn owner_choices(s: &WebState, who: &Signed) -> Vec<Owner> {
    super::groups::owner_choices(s, who).await
}

async fn render_rows(s: &WebState, who: &Signed, raw: Option<&str>) -> String {
    let search = Search::parse(raw);
    let listed = match search.page(PAGE_SIZE) {
        Ok(page) => {
            let q = search.text();
            s.service.list_projects(&who.ctx, None, q, page).await
        }
        Err(e) => Err(e),
    };
    let owners = owner_choices(s, who).await;
    let rows = match listed {
        Ok(p) => Rows {
            projects: p
                .items
                .into_iter()
                .map(|p| ProjectRow {
                    id: p.id,
                    owner: choices::owner_label(&owners, p.owner),
                    name: p.name,
                    exclusive: p.exclusive,
                })
                .collect(),
            first: search.first(),
            next: search.next(p.next_cursor),
            error: None,
        },
        Err(e) => Rows {
            projects: Vec::new(),
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
    let body = render::text(&ProjectsPage { q: &q, rows, pane });
    render::page(s, who, status, "Projects", "projects", body).await
}

async fn answer(s: &WebState, who: &Signed, headers: &HeaderMap, a: Answer) -> Response {
    match a.fragment(headers) {
        Ok(res) => res,
        Err(a) => full_page(s, who, None, a.status, a.pane).await,
    }
}

/// `GET /projects`: the Projects page.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    full_page(&s, &who, q.as_deref(), StatusCode::OK, String::new()).await
}

/// `GET /projects/rows`: the list alone.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    render::fragment(StatusCode::OK, render_rows(&s, &who, q.as_deref()).await)
}

/// What the create pane holds.
#[derive(Debug)]
struct NewProject {
    name: String,
    description: String,
    owner: Option<Id>,
    exclusive: bool,
}

#[derive(Template)]
#[template(path = "projects/create.html")]
struct CreatePane<'a> {
    csrf: &'a str,
    v: &'a NewProject,
    owners: &'a [Owner],
    errors: FormErrors,
}

/// `GET /projects/new`: the create pane; exclusive is on by default.
pub async fn new_pane(State(s): State<WebState>, who: Signed, headers: HeaderMap) -> Response {
    let owners = owner_choices(&s, &who).await;
    let v = NewProject {
        name: String::new(),
        description: String::new(),
        owner: owners.first().map(|o| o.id),
        exclusive: true,
    };
    let pane = render::text(&CreatePane {
        csrf: &who.csrf,
        v: &v,
        owners: &owners,
        errors: FormErrors::none(),
    });
    answer(&s, &who, &headers, Answer::ok(pane).at("/projects/new")).await
}

/// `POST /projects`: creates the project and opens its details.
pub async fn create(
    State(s): State<WebState>,
    headers: HeaderMap,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let v = NewProject {
        name: form.get("name").unwrap_or_default(),
        description: form.get("description").unwrap_or_default(),
        owner: form.id("owner"),
        exclusive: form.ticked("exclusive"),
    };
    let created = match v.owner {
        None => Err(CoreError::invalid("unknown_owner", "owner", "choose one")),
        Some(owner) => {
            let input = CreateProject {
                name: v.name.clone(),
                description: Some(v.description.clone()).filter(|d| !d.is_empty()),
                owner,
                exclusive: Some(v.exclusive),
            };
            s.service.create_project(&who.ctx, input).await
        }
    };
    match created {
        Ok(p) => {
            let extras = Extras {
                notice: Some(format!("Created {}.", p.name)),
                ..Extras::default()
            };
            let pane = render_pane(&s, &who, p.id, extras).await;
            let a = Answer::ok(pane)
                .changed("projects-changed")
                .at(format!("/projects/{}", p.id));
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let owners = owner_choices(&s, &who).await;
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

/// What the details pane shows besides the stored project.
#[derive(Debug, Default)]
struct Extras {
    notice: Option<String>,
    errors: FormErrors,
    cursor: Option<String>,
    /// The new group's name as typed, when creating it failed.
    group_name: String,
    /// The member's username as typed, when adding failed.
    member: String,
}

struct MemberRow {
    id: Id,
    login: String,
    since: String,
}

#[derive(Template)]
#[template(path = "projects/details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    project: &'a Project,
    owner: String,
    own_groups: &'a [Group],
    attached: &'a [Group],
    attachable: &'a [choices::GroupChoice],
    members: &'a [MemberRow],
    more: Option<String>,
    group_name: &'a str,
    member: &'a str,
    notice: Option<&'a str>,
    errors: &'a FormErrors,
}

async fn render_pane(s: &WebState, who: &Signed, id: Id, extras: Extras) -> String {
    let ctx = &who.ctx;
    let project = match s.service.get_project(ctx, id).await {
        Ok(p) => p,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let mut errors = extras.errors;
    let mut note = |e: CoreError| {
        errors.general.get_or_insert(panes::words(&e));
    };
    let owners = owner_choices(s, who).await;
    let filter = GroupFilter {
        owner: Some(id),
        ..GroupFilter::default()
    };
    let first = PageReq {
        after: None,
        limit: GROUPS_SHOWN,
    };
    let own_groups = match s.service.list_groups(ctx, &filter, first).await {
        Ok(p) => p.items,
        Err(e) => {
            note(e);
            Vec::new()
        }
    };
    let attached = match s.service.attached_groups(ctx, id).await {
        Ok(g) => g,
        Err(e) => {
            note(e);
            Vec::new()
        }
    };
    let attachable: Vec<choices::GroupChoice> =
        match choices::groups_for(&s.service, ctx, &owners, project.owner).await {
            Ok(all) => all
                .into_iter()
                .filter(|g| g.kind == GroupKind::Custom && !attached.iter().any(|a| a.id == g.id))
                .collect(),
            Err(e) => {
                note(e);
                Vec::new()
            }
        };
    let listed = match PageReq::parse(Some(MEMBERS_PAGE), extras.cursor.as_deref()) {
        Ok(p) => s.service.list_project_members(ctx, id, p).await,
        Err(e) => Err(e),
    };
    let (members, more) = match listed {
        Ok(p) => (
            p.items
                .into_iter()
                .map(|m| MemberRow {
                    id: m.user.id,
                    login: m.user.login,
                    since: panes::day_of(m.since),
                })
                .collect(),
            p.next_cursor,
        ),
        Err(e) => {
            note(e);
            (Vec::new(), None)
        }
    };
    render::text(&DetailsPane {
        csrf: &who.csrf,
        owner: choices::owner_label(&owners, project.owner),
        project: &project,
        own_groups: &own_groups,
        attached: &attached,
        attachable: &attachable,
        members: &members,
        more,
        group_name: &extras.group_name,
        member: &extras.member,
        notice: extras.notice.as_deref(),
        errors: &errors,
    })
}

/// Answers with the project's pane after a change (the list reloads too).
async fn changed(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    id: Id,
    extras: Extras,
) -> Response {
    let status = panes::status_for(!extras.errors.is_empty());
    let pane = render_pane(s, who, id, extras).await;
    answer(
        s,
        who,
        headers,
        Answer::ok(pane).status(status).changed("projects-changed"),
    )
    .await
}

/// A notice, or the error on the form.
fn outcome(result: Result<String, CoreError>, shown: &[&str]) -> Extras {
    match result {
        Ok(notice) => Extras {
            notice: Some(notice),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::from_core(&e, shown),
            ..Extras::default()
        },
    }
}

/// `GET /projects/{id}`: project details (`?members=CURSOR` pages through the members).
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
    let pane = render_pane(&s, &who, id, extras).await;
    answer(&s, &who, &headers, Answer::ok(pane)).await
}

/// `POST /projects/{id}`: saves name, description and exclusivity.
pub async fn edit(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let change = UpdateProject {
        name: form.get("name"),
        description: Some(form.get("description").unwrap_or_default()),
        exclusive: Some(form.ticked("exclusive")),
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    let result = s
        .service
        .update_project(&who.ctx, id, &change, version)
        .await
        .map(|_| "Saved.".to_string());
    changed(
        &s,
        &who,
        &headers,
        id,
        outcome(result, &["name", "description"]),
    )
    .await
}

/// `POST /projects/{id}/groups`: creates a group in the project — project level (owned by
/// the project) or system level (owned by the project's owner and attached here). The level
/// is fixed from then on.
pub async fn create_group(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let name = form.get("name").unwrap_or_default();
    let system = form.get("level").as_deref() == Some("system");
    let result = async {
        let project = s.service.get_project(&who.ctx, id).await?;
        let input = CreateGroup {
            name: name.clone(),
            description: None,
            owner: if system { project.owner } else { project.id },
        };
        let g = s.service.create_group(&who.ctx, input).await?;
        if system {
            s.service
                .attach_group(&who.ctx, id, g.id)
                .await
                .map_err(|e| {
                    CoreError::conflict(
                        "attach_failed",
                        format!(
                            "the group {} was created but not added to the project: {}",
                            g.name,
                            panes::words(&e)
                        ),
                    )
                })?;
        }
        Ok(format!(
            "Created the {} group {}.",
            if system {
                "system-level"
            } else {
                "project-level"
            },
            g.name
        ))
    }
    .await;
    let extras = match result {
        Ok(n) => outcome(Ok(n), &[]),
        Err(e) => Extras {
            errors: FormErrors::from_core_renamed(&e, &["group_name"], &[("name", "group_name")]),
            group_name: name,
            ..Extras::default()
        },
    };
    changed(&s, &who, &headers, id, extras).await
}

/// `POST /projects/{id}/attach`: adds an existing system-level (org-level) group with all
/// its members.
pub async fn attach(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("group") {
        None => Err(CoreError::invalid("required", "group", "choose one")),
        Some(g) => s.service.attach_group(&who.ctx, id, g).await.map(|a| {
            format!(
                "Added the group; {} of its members joined the project.",
                a.members_added.len()
            )
        }),
    };
    changed(&s, &who, &headers, id, outcome(result, &[])).await
}

/// `POST /projects/{id}/detach`: takes a system-level group out of the project; its members
/// leave the project unless another of its groups holds them.
pub async fn detach(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("group") {
        None => Err(CoreError::not_found("attached group")),
        Some(g) => s
            .service
            .detach_group(&who.ctx, &[id], g)
            .await
            .map(|()| "Removed the group and its members from the project.".to_string()),
    };
    changed(&s, &who, &headers, id, outcome(result, &[])).await
}

/// `POST /projects/{id}/members`: makes the user with the typed username a member.
pub async fn add_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let login = form.get("member").unwrap_or_default();
    let result = async {
        let user = panes::user_by_login(&s, &who, &login, "member").await?;
        s.service.add_project_member(&who.ctx, id, user).await?;
        Ok(format!("Added {login} to the project."))
    }
    .await;
    let mut extras = match result {
        Ok(n) => outcome(Ok(n), &[]),
        Err(e) => Extras {
            errors: FormErrors::from_core_renamed(&e, &["member"], &[("user", "member")]),
            ..Extras::default()
        },
    };
    if !extras.errors.is_empty() {
        extras.member = login;
    }
    changed(&s, &who, &headers, id, extras).await
}

/// `POST /projects/{id}/members/remove`: takes a member out of the project and its
/// project-level groups; the account stays.
pub async fn remove_member(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let result = match form.id("user") {
        None => Err(CoreError::not_found("project member")),
        Some(u) => s
            .service
            .remove_project_member(&who.ctx, id, u)
            .await
            .map(|()| "Removed from the project and its project-level groups.".to_string()),
    };
    changed(&s, &who, &headers, id, outcome(result, &[])).await
}

/// `POST /projects/{id}/delete`: deletes a project without groups or resources of its own.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let name = s.service.get_project(&who.ctx, id).await.map(|p| p.name);
    match s.service.delete_project(&who.ctx, id, None).await {
        Ok(()) => {
            let text = format!(
                "Deleted {}; its members' accounts stay.",
                name.unwrap_or_else(|_| "the project".into())
            );
            let a = Answer::ok(super::user_details::pane_message(&text))
                .changed("projects-changed")
                .at("/projects");
            answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let extras = Extras {
                errors: FormErrors::general(panes::words(&e)),
                ..Extras::default()
            };
            changed(&s, &who, &headers, id, extras).await
        }
    }
}
