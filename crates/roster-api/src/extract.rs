//! Request extractors that answer in roster's error shape: JSON bodies, ids in paths, query
//! strings, `If-Match`, and the authenticated caller.

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, Method, StatusCode};
use roster_core::{secret, Actor, Ctx, Id};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "roster_session";
/// The cookie holding the CSRF token, readable by the console's script.
pub const CSRF_COOKIE: &str = "roster_csrf";
/// The header a cookie-authenticated state change must carry.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A JSON body: `application/json` only, unknown fields refused.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        // Read the body even when refusing it, so the connection stays usable.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the body is too large",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_body",
                    "the body could not be read",
                )
            }
        })?;
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(json_error)
    }
}

fn json_error(e: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let text = e.to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("the body is not valid JSON: {text}"),
        ),
        Category::Data if text.starts_with("unknown field") => {
            let field = text.split('`').nth(1).unwrap_or_default().to_string();
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_field",
                format!("unknown field '{field}'"),
            )
            .with_details(serde_json::json!({ "field": field }))
        }
        Category::Data => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("the body does not have the expected shape: {text}"),
        ),
    }
}

/// Query parameters, with roster's error shape on failure.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or_default();
        serde_urlencoded_from_str(q).map(ApiQuery)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| bad_query("unreadable query"))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| bad_query(&e.body_text()))
}

fn bad_query(text: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("invalid query parameters: {text}"),
    )
}

/// Parses an id from a path segment; a malformed id names nothing, so it is "not found".
pub fn parse_id(raw: &str, what: &str) -> Result<Id, ApiError> {
    raw.parse::<Id>().map_err(|_| ApiError::not_found(what))
}

/// The version named by `If-Match`, if the header was sent.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let v = v.to_str().unwrap_or_default().trim();
        if v == "*" {
            return Ok(IfMatch(None));
        }
        let stale = || {
            ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "If-Match does not name the object's current version",
            )
        };
        let inner = v.trim_start_matches("W/").trim_matches('"');
        inner
            .parse::<i64>()
            .map(|n| IfMatch(Some(n)))
            .map_err(|_| stale())
    }
}

/// Request id and client address, for the audit log.
fn request_meta(parts: &Parts) -> (Option<String>, Option<String>) {
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string)
        .or_else(|| Some(roster_core::new_id().to_string()));
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string());
    (request_id, address)
}

/// A context for a request that has not signed in (login, activation).
pub struct Anonymous(pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for Anonymous {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let (request_id, address) = request_meta(parts);
        Ok(Anonymous(Ctx {
            actor: Actor::anonymous(),
            request_id,
            address,
        }))
    }
}

/// The authenticated caller: a bearer token, or the session cookie plus the CSRF header on
/// state-changing requests.
pub struct Authed(pub Ctx);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, request_id, address) = credentials(parts)?;
        let actor = state.service.authenticate(&token).await?;
        Ok(Authed(Ctx {
            actor,
            request_id,
            address,
        }))
    }
}

/// A caller changing their own password: a full session, or the restricted token of a login
/// that must change its password first.
pub struct PasswordChanger(pub Ctx);

impl FromRequestParts<AppState> for PasswordChanger {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, request_id, address) = credentials(parts)?;
        let actor = state.service.authenticate_password_change(&token).await?;
        Ok(PasswordChanger(Ctx {
            actor,
            request_id,
            address,
        }))
    }
}

/// The secret a request carries (bearer, or cookie plus CSRF header on changes), with the
/// request id and client address.
fn credentials(parts: &Parts) -> Result<(String, Option<String>, Option<String>), ApiError> {
    let (request_id, address) = request_meta(parts);
    let token = match bearer(parts) {
        Some(t) => t,
        None => {
            let t = cookie(parts, SESSION_COOKIE).ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "sign in first")
            })?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let csrf_ok = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == secret::csrf_token(&t));
            if !safe && !csrf_ok {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    format!("a cookie-authenticated change needs the {CSRF_HEADER} header"),
                ));
            }
            t
        }
    };
    Ok((token, request_id, address))
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The value of cookie `name`, if the request has it.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}
