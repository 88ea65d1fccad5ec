//! roster-api: the REST API (`/api/v1`), its OpenAPI description and docs, health and metrics
//! endpoints and the first-start set-up page. Handlers translate HTTP to service calls and
//! back; every rule lives in roster-core.

pub mod dto;
pub mod error;
pub mod extract;
mod metrics;
mod routes;
mod setup_page;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use roster_core::Service;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// What every handler shares. Cloned for every request, so the service is behind one `Arc`
/// (a `Service` clone is several reference counts and a string).
#[derive(Clone)]
pub struct AppState {
    /// The service layer.
    pub service: Arc<Service>,
    /// Whether cookies get the `Secure` attribute (served over TLS).
    pub secure_cookies: bool,
}

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "roster", description = "User, group and access management."),
    components(schemas(error::ErrorBody)),
    tags(
        (name = "org", description = "Tenants and customers"),
        (name = "users", description = "User accounts"),
        (name = "groups", description = "Groups and memberships"),
        (name = "projects", description = "Projects, their members and groups"),
        (name = "access", description = "Resources, roles, grants and decisions"),
        (name = "auth", description = "Login, logout, activation"),
        (name = "me", description = "The caller's own account"),
        (name = "audit", description = "The audit log"),
        (name = "settings", description = "The install's settings"),
    )
)]
struct ApiDoc;

/// The OpenAPI description generated from the route handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(routes::api_routes())
        .split_for_parts()
        .1
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::api_routes())
        .split_for_parts();
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .merge(setup_page::routes())
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(metrics::count))
        .layer(
            // Spans name the path only: query strings may carry one-time tokens. They are at
            // debug level: at the default `info` a span per request cost ~8% of `/check`'s
            // throughput.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .with_state(state)
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.service.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => error::ApiError::from(e).into_response(),
    }
}

async fn not_found() -> Response {
    let body = serde_json::json!({"error": {"code": "not_found", "message": "no such route"}});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Headers that keep browsers from framing pages, sniffing types or leaking one-time links.
async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let too_large = res.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if too_large {
        // The rest of the body was never read: tell the client not to reuse the connection.
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if !docs {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        );
    }
    res
}
