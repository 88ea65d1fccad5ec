//! The one-time set-up page the first start prints a link to: choose the system
//! administrator's password (twice). A plain HTML form, no script. Other users' activation
//! links (`/activate`) open the web console's page (roster-web).

use crate::extract::Anonymous;
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use roster_core::CoreError;
use serde::Deserialize;

/// `GET|POST /setup`: the first administrator's one-time form.
pub fn routes() -> Router<AppState> {
    Router::new().route("/setup", get(show).post(submit))
}

#[derive(Deserialize)]
struct TokenParam {
    token: Option<String>,
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    password: String,
    confirm: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · roster</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
    ))
}

fn form(token: &str, error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Create your password",
        &format!(
            "<p>Choose a password of at least {} characters that is not easy to guess.</p>{error}\
             <form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <p><label>Password <input type=\"password\" name=\"password\" autocomplete=\"new-password\" required></label></p>\
             <p><label>Confirm password <input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" required></label></p>\
             <p><button type=\"submit\">Create password</button></p></form>",
            roster_core::policy::DEFAULT_MIN_PASSWORD,
            escape(token)
        ),
    )
}

async fn show(Query(p): Query<TokenParam>) -> Html<String> {
    match p.token {
        Some(t) if !t.is_empty() => form(&t, None),
        _ => page(
            "Set-up link incomplete",
            "<p>Open the full link that roster printed at its first start.</p>",
        ),
    }
}

async fn submit(
    State(s): State<AppState>,
    Anonymous(ctx): Anonymous,
    Form(f): Form<SetupForm>,
) -> Response {
    if f.password != f.confirm {
        return form(&f.token, Some("The two passwords differ.")).into_response();
    }
    match s.service.activate(&ctx, &f.token, &f.password).await {
        Ok(out) => {
            let login = escape(&out.user.login);
            let mut res = crate::routes::session_response(&s, out);
            *res.body_mut() = page(
                "roster is ready",
                &format!("<p>Signed in as <strong>{login}</strong>. The API is at <a href=\"/api/docs\">/api/docs</a>.</p>"),
            )
            .into_response()
            .into_body();
            res.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(CoreError::Invalid {
            code: "invalid_token",
            ..
        })
        | Err(CoreError::Conflict { .. }) => page(
            "Link used or expired",
            "<p>This link was used already or has expired. Ask your administrator for a new one \
             (for the first administrator: restart roster to print one).</p>",
        )
        .into_response(),
        Err(e) => form(&f.token, Some(&e.to_string())).into_response(),
    }
}
