//! The audit log: filters (actor, target, action or family, time range), cursor paging, and
//! the filtered events exported as CSV or JSON, streamed a service page at a time.

use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::Signed;
use crate::WebState;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use roster_api::dto::AuditEventDto;
use roster_core::model::{AuditEvent, AuditQuery};
use roster_core::page::PageReq;
use roster_core::service::UserFilter;
use roster_core::{CoreError, Ctx, Id, Service, Timestamp};
use std::collections::HashMap;

/// Events shown per page.
const PAGE_SIZE: u32 = 50;
/// Events read per service call while exporting.
const EXPORT_PAGE: u32 = 1000;
/// Users looked at when a username is typed as a filter.
const LOOKUP_LIMIT: u32 = 20;
/// Logins remembered while exporting (each one read once).
const LOGIN_CACHE: usize = 10_000;
/// Summaries longer than this are cut in the table (the export has them whole).
const SUMMARY_SHOWN: usize = 240;

/// The filters as typed, read from (and written back to) the query string.
#[derive(Debug, Default)]
struct Filters {
    actor: String,
    target: String,
    action: String,
    since: String,
    until: String,
    cursor: Option<String>,
}

impl Filters {
    fn parse(raw: Option<&str>) -> Filters {
        let f = FormData::parse(raw.unwrap_or_default().as_bytes());
        Filters {
            actor: f.get("actor").unwrap_or_default(),
            target: f.get("target").unwrap_or_default(),
            action: f.get("action").unwrap_or_default(),
            since: f.get("since").unwrap_or_default(),
            until: f.get("until").unwrap_or_default(),
            cursor: f.get("cursor"),
        }
    }

    /// The query string of these filters at `cursor` (or the first page).
    fn query(&self, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        if let Some(c) = cursor {
            out.append_pair("cursor", c);
        }
        out.finish()
    }
}

/// A typed user (a username, exactly, or an id) as an id.
async fn user_id(s: &Service, ctx: &Ctx, typed: &str, field: &str) -> Result<Id, CoreError> {
    if let Ok(id) = typed.parse::<Id>() {
        return Ok(id);
    }
    let filter = UserFilter {
        q: Some(typed.to_string()),
        ..UserFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: LOOKUP_LIMIT,
    };
    s.list_users(ctx, &filter, page)
        .await?
        .items
        .into_iter()
        .find(|u| u.login.eq_ignore_ascii_case(typed))
        .map(|u| u.id)
        .ok_or_else(|| CoreError::invalid("unknown_user", field, "no user has this username"))
}

/// A typed moment (`YYYY-MM-DDTHH:MM` from a date-time field, or a day), in UTC.
fn moment(typed: &str, field: &str) -> Result<Option<Timestamp>, CoreError> {
    if typed.is_empty() {
        return Ok(None);
    }
    let parsed = chrono::NaiveDateTime::parse_from_str(typed, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(typed, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    parsed.map(|t| Some(t.and_utc())).ok_or_else(|| {
        CoreError::invalid(
            "invalid_time",
            field,
            "not a date and time like 2025-01-31T14:00",
        )
    })
}

/// The service query the filters stand for; errors name the field at fault.
async fn query_of(s: &Service, ctx: &Ctx, f: &Filters) -> Result<AuditQuery, FormErrors> {
    let fields = &["actor", "target", "since", "until"];
    let wrap = |e: CoreError| FormErrors::from_core(&e, fields);
    let actor = match f.actor.as_str() {
        "" => None,
        a => Some(user_id(s, ctx, a, "actor").await.map_err(wrap)?),
    };
    let target = match f.target.as_str() {
        "" => None,
        t => Some(user_id(s, ctx, t, "target").await.map_err(wrap)?),
    };
    Ok(AuditQuery {
        actor,
        target,
        action: Some(f.action.clone()).filter(|a| !a.is_empty()),
        since: moment(&f.since, "since").map_err(wrap)?,
        until: moment(&f.until, "until").map_err(wrap)?,
    })
}

/// Logins of users named in events, each read once.
#[derive(Default)]
struct Logins(HashMap<Id, Option<String>>);

impl Logins {
    async fn of(&mut self, s: &Service, ctx: &Ctx, id: Option<Id>) -> Option<String> {
        let id = id?;
        if let Some(known) = self.0.get(&id) {
            return known.clone();
        }
        let login = s.get_user(ctx, id).await.ok().map(|u| u.login);
        if self.0.len() < LOGIN_CACHE {
            self.0.insert(id, login.clone());
        }
        login
    }
}

/// An id too long to read in a table, shortened.
fn short(id: Id) -> String {
    let text = id.to_string();
    format!("…{}", &text[text.len().saturating_sub(8)..])
}

/// One event in the table.
struct Row {
    time: String,
    actor: String,
    impersonator: Option<String>,
    action: String,
    target: String,
    target_id: String,
    summary: String,
    address: String,
}

#[derive(Template)]
#[template(path = "audit/rows.html")]
struct Rows {
    rows: Vec<Row>,
    first: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "audit/page.html")]
struct AuditPage<'a> {
    f: &'a Filters,
    export: String,
    rows: String,
    errors: &'a FormErrors,
}

/// One page of the table, and the errors of the filters (shown in the table too when it is
/// `alone`, answering htmx without the page around it).
async fn render_rows(s: &WebState, who: &Signed, f: &Filters, alone: bool) -> (String, FormErrors) {
    let listed = match query_of(&s.service, &who.ctx, f).await {
        Err(errors) => Err(errors),
        Ok(query) => match PageReq::parse(Some(PAGE_SIZE), f.cursor.as_deref()) {
            Err(e) => Err(FormErrors::general(messages::plain(&e))),
            Ok(page) => s
                .service
                .list_audit(&who.ctx, &query, page)
                .await
                .map_err(|e| FormErrors::general(messages::plain(&e))),
        },
    };
    let page = match listed {
        Ok(p) => p,
        Err(errors) => {
            let rows = Rows {
                rows: Vec::new(),
                first: None,
                next: None,
                error: errors.general.clone().filter(|_| alone),
            };
            let rows = if alone {
                render::text(&rows)
            } else {
                String::new()
            };
            return (rows, errors);
        }
    };
    let mut logins = Logins::default();
    let mut rows = Vec::new();
    for e in page.items {
        let actor = logins.of(&s.service, &who.ctx, e.actor).await;
        let impersonator = logins.of(&s.service, &who.ctx, e.impersonator).await;
        let target = logins.of(&s.service, &who.ctx, e.target).await;
        let mut summary = e.summary.to_string();
        if summary == "{}" {
            summary.clear();
        }
        if summary.chars().count() > SUMMARY_SHOWN {
            summary = summary.chars().take(SUMMARY_SHOWN).collect::<String>() + "…";
        }
        rows.push(Row {
            time: e.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: match (actor, e.actor) {
                (Some(l), _) => l,
                (None, Some(id)) => short(id),
                (None, None) => "roster".into(),
            },
            impersonator: match (impersonator, e.impersonator) {
                (Some(l), _) => Some(l),
                (None, id) => id.map(short),
            },
            action: e.action,
            target: match (target, e.target) {
                (Some(l), _) => l,
                (None, Some(id)) => short(id),
                (None, None) => String::new(),
            },
            target_id: e.target.map(|t| t.to_string()).unwrap_or_default(),
            summary,
            address: e.address.unwrap_or_default(),
        });
    }
    let rows = Rows {
        rows,
        first: f.cursor.as_ref().map(|_| f.query(None)),
        next: page.next_cursor.map(|c| f.query(Some(&c))),
        error: None,
    };
    (render::text(&rows), FormErrors::none())
}

/// `GET /audit`: the filters and the first (or a later) page of events.
pub async fn page(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let f = Filters::parse(q.as_deref());
    let (rows, errors) = render_rows(&s, &who, &f, false).await;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = render::text(&AuditPage {
        f: &f,
        export: f.query(None),
        rows,
        errors: &errors,
    });
    render::page(&s, &who, status, "Audit", "audit", body).await
}

/// `GET /audit/rows`: the table alone, for filtering and paging with htmx.
pub async fn rows(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    let f = Filters::parse(q.as_deref());
    let (rows, errors) = render_rows(&s, &who, &f, true).await;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render::fragment(status, rows)
}

/// The export formats.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Json,
}

/// The CSV columns.
const CSV_HEADER: &str =
    "id,time,tenant,actor,actor_login,impersonator,action,target,summary,request_id,address\r\n";

/// A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). A field that a
/// spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return: a login, a request id a client sent) gets a leading `'`, so opening the export
/// runs nothing (OWASP's advice on CSV injection).
fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{v}"))
    } else {
        std::borrow::Cow::Borrowed(v)
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// One event as a CSV line.
fn csv_line(e: &AuditEvent, actor_login: Option<&str>) -> String {
    let id = |v: Option<Id>| v.map(|i| i.to_string()).unwrap_or_default();
    let fields = [
        e.id.to_string(),
        e.time.to_rfc3339(),
        e.tenant.to_string(),
        id(e.actor),
        actor_login.unwrap_or_default().to_string(),
        id(e.impersonator),
        e.action.clone(),
        id(e.target),
        e.summary.to_string(),
        e.request_id.clone().unwrap_or_default(),
        e.address.clone().unwrap_or_default(),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Where an export stream is.
struct Export {
    s: Service,
    ctx: Ctx,
    query: AuditQuery,
    format: Format,
    page: Option<PageReq>,
    first_event: bool,
    logins: Logins,
}

impl Export {
    /// The next piece of the file: a page of events, or the closing bracket; `None` at the end.
    async fn next(mut self) -> Option<(Result<Bytes, CoreError>, Export)> {
        let page = self.page.take()?;
        let listed = match self.s.list_audit(&self.ctx, &self.query, page).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "audit export stopped");
                return Some((Err(e), self));
            }
        };
        let mut out = String::new();
        for e in listed.items {
            match self.format {
                Format::Csv => {
                    let login = self.logins.of(&self.s, &self.ctx, e.actor).await;
                    out.push_str(&csv_line(&e, login.as_deref()));
                }
                Format::Json => {
                    if !self.first_event {
                        out.push_str(",\n");
                    }
                    self.first_event = false;
                    let dto = AuditEventDto::from(e);
                    out.push_str(&serde_json::to_string(&dto).unwrap_or_default());
                }
            }
        }
        self.page = match listed.next_cursor {
            Some(c) => PageReq::parse(Some(EXPORT_PAGE), Some(&c)).ok(),
            None => None,
        };
        if self.page.is_none() && self.format == Format::Json {
            out.push_str("\n]\n");
        }
        Some((Ok(Bytes::from(out)), self))
    }
}

/// The filtered events as a download, streamed page by page. The first page is read before
/// answering, so a refusal is a page in words rather than a broken download.
async fn export(s: WebState, who: Signed, raw: Option<String>, format: Format) -> Response {
    let f = Filters::parse(raw.as_deref());
    let query = match query_of(&s.service, &who.ctx, &f).await {
        Ok(q) => q,
        Err(errors) => return refused(&s, &who, errors).await,
    };
    let probe = PageReq {
        after: None,
        limit: 1,
    };
    if let Err(e) = s.service.list_audit(&who.ctx, &query, probe).await {
        return refused(&s, &who, FormErrors::general(messages::plain(&e))).await;
    }
    let (head, content_type, name) = match format {
        Format::Csv => (CSV_HEADER, "text/csv; charset=utf-8", "roster-audit.csv"),
        Format::Json => ("[\n", "application/json", "roster-audit.json"),
    };
    let state = Export {
        s: s.service.clone(),
        ctx: who.ctx.clone(),
        query,
        format,
        page: Some(PageReq {
            after: None,
            limit: EXPORT_PAGE,
        }),
        first_event: true,
        logins: Logins::default(),
    };
    let head = futures_util::stream::once(async move { Ok::<Bytes, CoreError>(Bytes::from(head)) });
    let pages = futures_util::stream::unfold(state, Export::next);
    let body = Body::from_stream(futures_util::StreamExt::chain(head, pages));
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The audit page with the reason an export was refused.
async fn refused(s: &WebState, who: &Signed, errors: FormErrors) -> Response {
    let f = Filters::default();
    let body = render::text(&AuditPage {
        f: &f,
        export: String::new(),
        rows: String::new(),
        errors: &errors,
    });
    render::page(s, who, StatusCode::FORBIDDEN, "Audit", "audit", body).await
}

/// `GET /audit/export.csv?…`: the filtered events as CSV.
pub async fn export_csv(State(s): State<WebState>, who: Signed, RawQuery(q): RawQuery) -> Response {
    export(s, who, q, Format::Csv).await
}

/// `GET /audit/export.json?…`: the filtered events as a JSON array, shaped as the API's.
pub async fn export_json(
    State(s): State<WebState>,
    who: Signed,
    RawQuery(q): RawQuery,
) -> Response {
    export(s, who, q, Format::Json).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("user.create"), "user.create");
        assert_eq!(
            csv_field(r#"{"a":1,"b":"x"}"#),
            r#""{""a"":1,""b"":""x""}""#
        );
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn csv_fields_never_start_a_formula() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("a=b"), "a=b");
    }

    #[test]
    fn typed_moments_are_utc() {
        let t = moment("2025-01-31T14:05", "since").unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2025-01-31T14:05:00+00:00");
        assert!(moment("", "since").unwrap().is_none());
        assert!(moment("yesterday", "since").is_err());
    }
}
