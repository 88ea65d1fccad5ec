//! roster-web: the web console. Server-rendered pages (askama templates) with htmx for
//! partial updates, one stylesheet and one small script, all embedded in the binary.
//! Handlers translate forms to the same `Service` calls the REST API makes; every rule
//! lives in roster-core.

mod assets;
mod choices;
mod form;
mod messages;
mod pages;
mod render;
mod session;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use roster_core::Service;

/// What every console handler shares.
#[derive(Clone)]
pub struct WebState {
    /// The service layer, the same one the REST API calls.
    pub service: Service,
    /// Whether cookies get the `Secure` attribute (served over TLS).
    pub secure_cookies: bool,
}

/// The policy every console page is served with: nothing from elsewhere, no inline script
/// or style, no framing, forms post only here. Images may also be `data:` URLs: the
/// authenticator QR code is one, so that no secret needs a URL or server-side state.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The console's routes at `/`, with their security headers. Merge it with the API's router.
pub fn router(state: WebState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(assets::routes())
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers that keep browsers from running injected script, framing pages, sniffing types,
/// caching signed-in pages or leaking one-time links.
async fn security_headers(req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
