//! What the access pages share: answering with a pane (a fragment for htmx, the whole page
//! otherwise), validity windows typed as days, and finding users and groups by name.

use crate::messages;
use crate::render;
use crate::session::Signed;
use crate::WebState;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use roster_core::model::Group;
use roster_core::page::PageReq;
use roster_core::service::{GroupFilter, UserFilter};
use roster_core::{CoreError, Id, Timestamp};

/// Rows looked at when a name is typed to find a user or a group.
const LOOKUP_LIMIT: u32 = 20;

/// A pane to answer with, and what else the answer tells the page.
pub struct Answer {
    /// The status (4xx answers are swapped too, which is how a pane shows its errors).
    pub status: StatusCode,
    /// The pane's HTML.
    pub pane: String,
    /// An event that makes the list reload itself (`projects-changed`, …).
    pub trigger: Option<&'static str>,
    /// The address the pane lives at, for the address bar.
    pub url: Option<String>,
}

impl Answer {
    /// A pane answered with 200 and nothing else.
    pub fn ok(pane: String) -> Answer {
        Answer {
            status: StatusCode::OK,
            pane,
            trigger: None,
            url: None,
        }
    }

    /// The same answer with `status`.
    pub fn status(mut self, status: StatusCode) -> Answer {
        self.status = status;
        self
    }

    /// The same answer, telling the list to reload with `event`.
    pub fn changed(mut self, event: &'static str) -> Answer {
        self.trigger = Some(event);
        self
    }

    /// The same answer, putting `url` in the address bar.
    pub fn at(mut self, url: impl Into<String>) -> Answer {
        self.url = Some(url.into());
        self
    }

    /// The fragment for htmx, or the answer back when the request wants a whole page.
    pub fn fragment(self, headers: &HeaderMap) -> Result<Response, Answer> {
        if !render::wants_fragment(headers) {
            return Err(self);
        }
        let mut res = render::fragment(self.status, self.pane);
        if let Some(t) = self.trigger {
            res.headers_mut()
                .insert("hx-trigger", HeaderValue::from_static(t));
        }
        if let Some(v) = self.url.and_then(|u| HeaderValue::from_str(&u).ok()) {
            res.headers_mut().insert("hx-push-url", v);
        }
        Ok(res)
    }
}

/// The status of a pane that shows `errors`: 422 when there are any.
pub fn status_for(failed: bool) -> StatusCode {
    if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// A day typed in a date field (`2025-03-01`) as the start of that day, UTC.
pub fn day_start(field: &str, value: Option<&str>) -> Result<Option<Timestamp>, CoreError> {
    let Some(v) = value else {
        return Ok(None);
    };
    format!("{v}T00:00:00Z")
        .parse::<Timestamp>()
        .map(Some)
        .map_err(|_| CoreError::invalid("invalid_date", field, "not a date like 2025-03-01"))
}

/// A last day typed in a date field as the end of that day (the start of the next), UTC.
pub fn day_end(field: &str, value: Option<&str>) -> Result<Option<Timestamp>, CoreError> {
    Ok(day_start(field, value)?.map(|t| t + chrono::Duration::days(1)))
}

/// A start as the day it falls on.
pub fn day_of(t: Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// An end (exclusive) as the last day it includes.
pub fn last_day_of(t: Timestamp) -> String {
    day_of(t - chrono::Duration::microseconds(1))
}

/// A validity window in words, inclusive days: "from 2025-03-01 until 2025-03-31".
pub fn window_label(from: Option<Timestamp>, until: Option<Timestamp>) -> String {
    match (from, until) {
        (None, None) => String::new(),
        (Some(f), None) => format!("from {}", day_of(f)),
        (None, Some(u)) => format!("until {}", last_day_of(u)),
        (Some(f), Some(u)) => format!("{} to {}", day_of(f), last_day_of(u)),
    }
}

/// Whether a window has ended, or not begun, at `at`: a word for a badge.
pub fn window_state(
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    at: Timestamp,
) -> &'static str {
    if from.is_some_and(|f| at < f) {
        "not yet"
    } else if until.is_some_and(|u| u <= at) {
        "ended"
    } else {
        ""
    }
}

/// The user whose username is exactly `login` (ignoring case), among those the caller sees.
pub async fn user_by_login(
    s: &WebState,
    who: &Signed,
    login: &str,
    field: &str,
) -> Result<Id, CoreError> {
    let filter = UserFilter {
        q: Some(login.to_string()),
        ..UserFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: LOOKUP_LIMIT,
    };
    let found = s.service.list_users(&who.ctx, &filter, page).await?;
    found
        .items
        .into_iter()
        .find(|u| u.login.eq_ignore_ascii_case(login))
        .map(|u| u.id)
        .ok_or_else(|| CoreError::invalid("unknown_user", field, "no user has this username"))
}

/// The group named exactly `name` (ignoring case) among those the caller administers; the
/// first one when several owners have a group of that name.
pub async fn group_by_name(
    s: &WebState,
    who: &Signed,
    name: &str,
    field: &str,
) -> Result<Group, CoreError> {
    let filter = GroupFilter {
        q: Some(name.to_string()),
        ..GroupFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: LOOKUP_LIMIT,
    };
    let found = s.service.list_groups(&who.ctx, &filter, page).await?;
    found
        .items
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| CoreError::invalid("unknown_group_name", field, "no group has this name"))
}

/// A service error in words, for a pane's general message.
pub fn words(e: &CoreError) -> String {
    messages::plain(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_days_are_whole_days_and_read_back_the_same() {
        let from = day_start("valid_from", Some("2025-03-01"))
            .unwrap()
            .unwrap();
        let until = day_end("valid_until", Some("2025-03-31")).unwrap().unwrap();
        assert_eq!(from.to_rfc3339(), "2025-03-01T00:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2025-04-01T00:00:00+00:00");
        assert_eq!(
            window_label(Some(from), Some(until)),
            "2025-03-01 to 2025-03-31"
        );
        assert_eq!(window_state(Some(from), Some(until), until), "ended");
        assert_eq!(window_state(Some(from), None, from), "");
        assert_eq!(day_start("valid_from", None).unwrap(), None);
        let bad = day_start("valid_from", Some("1st of March")).unwrap_err();
        assert!(matches!(
            bad,
            CoreError::Invalid {
                code: "invalid_date",
                ..
            }
        ));
    }
}
