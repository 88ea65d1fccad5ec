//! Leaving a "login as user": the impersonation session ends and the console is the
//! administrator's again, back on the user's details.

use crate::session::{self, SignedForm};
use crate::WebState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

/// `POST /impersonation/end`: "Return to my account".
pub async fn end(State(s): State<WebState>, SignedForm { who, .. }: SignedForm) -> Response {
    let back = match who.ctx.actor.impersonator {
        Some(_) => {
            if let Err(e) = s.service.logout(&who.ctx).await {
                tracing::warn!(error = %e, "ending a login as user failed");
            }
            who.ctx
                .actor
                .user
                .map_or_else(|| "/users".to_string(), |u| format!("/users/{u}"))
        }
        None => "/users".to_string(),
    };
    session::with_cookies(
        Redirect::to(&back).into_response(),
        session::cleared_impersonation(),
    )
}
