//! Turning templates into responses: a fragment for htmx, or the fragment inside the
//! console's page shell for a full page load.

use crate::session::Signed;
use crate::WebState;
use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// The page shell: head, top bar (who is signed in, sign out) and the main content.
#[derive(Template)]
#[template(path = "shell.html")]
struct Shell<'a> {
    title: &'a str,
    csrf: Option<&'a str>,
    me: Option<String>,
    section: &'a str,
    body: String,
    /// The administrator behind a "login as user" session: the banner shows while set.
    impersonator: Option<String>,
}

/// A plain message page: a heading, a sentence and maybe a link.
#[derive(Template)]
#[template(path = "message.html")]
pub struct Message<'a> {
    /// The heading.
    pub heading: &'a str,
    /// The sentence.
    pub text: &'a str,
    /// A link to go on with: (href, label).
    pub link: Option<(&'a str, &'a str)>,
}

/// A template rendered to text; a failure is logged and shows as a short note.
pub fn text(t: &impl Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a console template failed");
        "<p class=\"form-error\">This part of the page could not be shown.</p>".to_string()
    })
}

/// Whether the request wants a fragment: htmx asked, and not to restore its history (which
/// needs the whole page).
pub fn wants_fragment(headers: &HeaderMap) -> bool {
    crate::session::is_htmx(headers) && !headers.contains_key("hx-history-restore-request")
}

/// A fragment as an HTML response.
pub fn fragment(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// A page for someone not signed in (sign-in steps).
pub fn public_page(status: StatusCode, title: &str, body: String) -> Response {
    let shell = Shell {
        title,
        csrf: None,
        me: None,
        section: "",
        body,
        impersonator: None,
    };
    (status, Html(text(&shell))).into_response()
}

/// A page for a signed-in user, with their name and the sign-out form in the top bar.
pub async fn page(
    s: &WebState,
    who: &Signed,
    status: StatusCode,
    title: &str,
    section: &str,
    body: String,
) -> Response {
    let me = s.service.me(&who.ctx).await.ok().map(|u| u.login);
    let impersonator = match who.ctx.actor.impersonator {
        Some(_) => s.service.impersonator(&who.ctx).await.ok().flatten(),
        None => None,
    };
    let shell = Shell {
        title,
        csrf: Some(&who.csrf),
        me,
        section,
        body,
        impersonator: impersonator.map(|u| u.login),
    };
    (status, Html(text(&shell))).into_response()
}
