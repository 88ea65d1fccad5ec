//! "Who has access" on a resource or a resource group (TrueCommand's system access and
//! system group access): the grants held there, giving a user or a group read (the built-in
//! Viewer role) or read/write (Editor) there, and taking it away.

use super::names::Roles;
use super::panes;
use crate::form::FormData;
use crate::messages::FormErrors;
use crate::render;
use crate::session::Signed;
use crate::WebState;
use askama::Template;
use roster_core::access::builtin::{EDITOR_ROLE, VIEWER_ROLE};
use roster_core::model::{GrantQuery, SubjectKind};
use roster_core::page::PageReq;
use roster_core::service::CreateGrant;
use roster_core::{CoreError, Id};

/// Grants shown.
const SHOWN: u32 = 100;

/// The give form as typed.
#[derive(Debug, Default)]
pub struct Typed {
    kind: String,
    subject: String,
    level: String,
}

struct HolderRow {
    grant: Id,
    subject: String,
    href: String,
    kind: &'static str,
    access: String,
    deny: bool,
}

#[derive(Template)]
#[template(path = "resources/who_has_access.html")]
struct Section<'a> {
    csrf: &'a str,
    base: &'a str,
    rows: &'a [HolderRow],
    more: bool,
    v: &'a Typed,
    errors: &'a FormErrors,
}

/// The section for scope `scope`, whose pane lives at `base` (`/resources/{id}`).
pub async fn section(
    s: &WebState,
    who: &Signed,
    base: &str,
    scope: Id,
    typed: Option<Typed>,
    errors: &FormErrors,
) -> String {
    let query = GrantQuery {
        scope: Some(scope),
        ..GrantQuery::default()
    };
    let page = PageReq {
        after: None,
        limit: SHOWN,
    };
    let (grants, more) = match s.service.list_grants(&who.ctx, &query, page).await {
        Ok(p) => (p.items, p.next_cursor.is_some()),
        Err(_) => (Vec::new(), false),
    };
    let mut roles = Roles::default();
    let mut rows = Vec::new();
    for g in &grants {
        let (subject, href) = super::names::subject(s, who, g).await;
        let access = match g.role {
            Some(r) if r == VIEWER_ROLE => "Read".to_string(),
            Some(r) if r == EDITOR_ROLE => "Read/write".to_string(),
            _ => roles.gives(s, who, g).await,
        };
        rows.push(HolderRow {
            grant: g.id,
            subject,
            href,
            kind: match g.subject_kind {
                SubjectKind::User => "user",
                SubjectKind::Group => "group",
            },
            access,
            deny: g.effect == roster_core::model::Effect::Deny,
        });
    }
    let v = typed.unwrap_or_else(|| Typed {
        kind: "user".into(),
        subject: String::new(),
        level: "read".into(),
    });
    render::text(&Section {
        csrf: &who.csrf,
        base,
        rows: &rows,
        more,
        v: &v,
        errors,
    })
}

/// Gives the named user or group read or read/write on `scope`; a notice, or the errors
/// with the form as typed.
pub async fn give(
    s: &WebState,
    who: &Signed,
    scope: Id,
    form: &FormData,
) -> Result<String, (FormErrors, Typed)> {
    let typed = Typed {
        kind: form
            .get("subject_kind")
            .filter(|k| k == "group")
            .unwrap_or_else(|| "user".into()),
        subject: form.get("subject").unwrap_or_default(),
        level: form
            .get("level")
            .filter(|l| l == "write")
            .unwrap_or_else(|| "read".into()),
    };
    let result = async {
        let (subject, name) = if typed.kind == "group" {
            let g = panes::group_by_name(s, who, &typed.subject, "subject").await?;
            (g.id, g.name)
        } else {
            let u = panes::user_by_login(s, who, &typed.subject, "subject").await?;
            (u, typed.subject.clone())
        };
        let write = typed.level == "write";
        let input = CreateGrant {
            subject,
            role: Some(if write { EDITOR_ROLE } else { VIEWER_ROLE }),
            permissions: Vec::new(),
            scope,
            effect: None,
            valid_from: None,
            valid_until: None,
        };
        s.service.create_grant(&who.ctx, input).await?;
        Ok::<_, CoreError>(format!(
            "{name} may now {}.",
            if write {
                "read and write here"
            } else {
                "read here"
            }
        ))
    }
    .await;
    result.map_err(|e| {
        (
            FormErrors::from_core_renamed(
                &e,
                &["subject"],
                &[("user", "subject"), ("group", "subject")],
            ),
            typed,
        )
    })
}

/// Takes away the grant the form names.
pub async fn revoke(s: &WebState, who: &Signed, form: &FormData) -> Result<String, FormErrors> {
    let result = match form.id("grant") {
        Some(g) => s.service.delete_grant(&who.ctx, g, None).await,
        None => Err(CoreError::not_found("grant")),
    };
    result
        .map(|()| "Access taken away.".to_string())
        .map_err(|e| FormErrors::general(panes::words(&e)))
}
