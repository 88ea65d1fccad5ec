//! The Delete tab of a group's pane: a confirmation that says what goes and what stays —
//! for a project-level group the choice to keep its members in the project (with no rights)
//! or remove them, for a system-level group the projects its members leave.

use super::group_details;
use super::groups;
use super::panes::{self, Answer};
use crate::messages::FormErrors;
use crate::render;
use crate::session::{Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use roster_core::model::{Group, Project};
use roster_core::service::DeleteMembers;
use roster_core::Id;

#[derive(Template)]
#[template(path = "groups/delete.html")]
struct DeletePane<'a> {
    csrf: &'a str,
    tabs: String,
    group: &'a Group,
    projects: &'a [Project],
    errors: &'a FormErrors,
}

async fn render_pane(s: &WebState, who: &Signed, id: Id, errors: FormErrors) -> String {
    let group = match s.service.get_group(&who.ctx, id).await {
        Ok(g) => g,
        Err(e) => return super::user_details::pane_message(&panes::words(&e)),
    };
    let projects = s
        .service
        .group_projects(&who.ctx, id)
        .await
        .unwrap_or_default();
    render::text(&DeletePane {
        csrf: &who.csrf,
        tabs: group_details::tabs(id, "delete"),
        group: &group,
        projects: &projects,
        errors: &errors,
    })
}

/// `GET /groups/{id}/delete`: the confirmation.
pub async fn confirm(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    let pane = render_pane(&s, &who, id, FormErrors::none()).await;
    groups::answer(
        &s,
        &who,
        &headers,
        Answer::ok(pane).at(format!("/groups/{id}/delete")),
    )
    .await
}

/// `POST /groups/{id}/delete`: deletes the group; `members=remove` takes a project-level
/// group's members out of its project too.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let members = match form.get("members").as_deref() {
        Some("remove") => DeleteMembers::Remove,
        _ => DeleteMembers::Keep,
    };
    let name = s.service.get_group(&who.ctx, id).await.map(|g| g.name);
    let version = form.get("version").and_then(|v| v.parse().ok());
    match s.service.delete_group(&who.ctx, id, members, version).await {
        Ok(()) => {
            let text = format!(
                "Deleted {}. Its members' accounts stay; the rights it gave are gone.",
                name.unwrap_or_else(|_| "the group".into())
            );
            let a = Answer::ok(super::user_details::pane_message(&text))
                .changed("groups-changed")
                .at("/groups");
            groups::answer(&s, &who, &headers, a).await
        }
        Err(e) => {
            let pane = render_pane(&s, &who, id, FormErrors::general(panes::words(&e))).await;
            let a = Answer::ok(pane).status(panes::status_for(true));
            groups::answer(&s, &who, &headers, a).await
        }
    }
}
