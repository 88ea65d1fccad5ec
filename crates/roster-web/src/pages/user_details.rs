//! The user details pane: edit details, enable or disable, owner and groups, roles and access
//! (in `user_access`), password, second factors, sessions, activation link, login as user,
//! delete.

use super::user_access::{self, AccessForms};
use super::users::{self, full_name, status_label};
use crate::choices::{self, GroupChoice, Owner};
use crate::form::FormData;
use crate::messages::{self, FormErrors};
use crate::render;
use crate::session::{self, Signed, SignedForm};
use crate::WebState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use roster_core::model::{TokenRecord, User, UserStatus};
use roster_core::page::PageReq;
use roster_core::service::{ActivationLink, GroupFilter, UpdateUser};
use roster_core::{Id, Timestamp};

/// At most this many of a user's groups are shown in the pane.
const GROUPS_SHOWN: u32 = 100;

/// What the pane shows besides the stored user.
#[derive(Debug, Default)]
pub struct Extras {
    /// What just happened, in a sentence.
    pub notice: Option<String>,
    /// A fresh activation link to pass on, and when it stops working.
    pub activation: Option<(String, Timestamp)>,
    /// The details as typed, when saving them failed.
    pub typed: Option<Details>,
    /// Errors to show.
    pub errors: FormErrors,
    /// The access forms as typed, and the last "why?" answer.
    pub access: AccessForms,
    /// The reason typed for a login as user that was refused.
    pub reason: String,
}

impl Extras {
    /// A pane with a notice.
    pub fn notice(text: impl Into<String>) -> Extras {
        Extras {
            notice: Some(text.into()),
            ..Extras::default()
        }
    }

    /// A pane with an error above its forms.
    pub fn error(text: impl Into<String>) -> Extras {
        Extras {
            errors: FormErrors::general(text),
            ..Extras::default()
        }
    }

    /// A pane whose access forms come back as typed, with errors or an answer.
    pub fn access(access: AccessForms, errors: FormErrors) -> Extras {
        Extras {
            access,
            errors,
            ..Extras::default()
        }
    }
}

/// One live session of the user.
struct SessionRow {
    id: Id,
    started: String,
    last_used: String,
    expires: String,
}

impl SessionRow {
    fn new(t: &TokenRecord) -> SessionRow {
        let fmt = |t: Timestamp| t.format("%Y-%m-%d %H:%M UTC").to_string();
        SessionRow {
            id: t.id,
            started: fmt(t.created_at),
            last_used: fmt(t.last_used_at),
            expires: fmt(t.expires_at),
        }
    }
}

/// The editable details as typed.
#[derive(Debug, Default)]
pub struct Details {
    login: String,
    email: String,
    first_name: String,
    last_name: String,
    phone: String,
}

impl Details {
    fn of(u: &User) -> Details {
        Details {
            login: u.login.clone(),
            email: u.email.clone().unwrap_or_default(),
            first_name: u.first_name.clone().unwrap_or_default(),
            last_name: u.last_name.clone().unwrap_or_default(),
            phone: u.phone.clone().unwrap_or_default(),
        }
    }

    fn from_form(f: &FormData) -> Details {
        Details {
            login: f.get("login").unwrap_or_default(),
            email: f.get("email").unwrap_or_default(),
            first_name: f.get("first_name").unwrap_or_default(),
            last_name: f.get("last_name").unwrap_or_default(),
            phone: f.get("phone").unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "users/details.html")]
struct DetailsPane<'a> {
    csrf: &'a str,
    user: &'a User,
    name: String,
    status: &'static str,
    owner: String,
    v: &'a Details,
    groups: &'a [GroupChoice],
    joinable: &'a [GroupChoice],
    notice: Option<&'a str>,
    activation: Option<(&'a str, String)>,
    errors: &'a FormErrors,
    owners: &'a [Owner],
    owner_listed: bool,
    access: String,
    sessions: Vec<SessionRow>,
    factors: Option<roster_core::service::FactorStatus>,
    /// Whether the reset shows: the user has a factor, or the caller cannot tell.
    show_factor_reset: bool,
    reason: &'a str,
}

#[derive(Template)]
#[template(path = "users/delete.html")]
struct DeletePane<'a> {
    csrf: &'a str,
    user: &'a User,
}

#[derive(Template)]
#[template(path = "pane_message.html")]
struct PaneMessage<'a> {
    text: &'a str,
}

/// A pane holding one sentence (a deleted or missing user).
pub fn pane_message(text: &str) -> String {
    render::text(&PaneMessage { text })
}

/// The user's groups, and the groups of their owner (and its ancestors) they may join.
async fn group_lists(
    s: &WebState,
    who: &Signed,
    user: &User,
) -> Result<(Vec<GroupChoice>, Vec<GroupChoice>), String> {
    let filter = GroupFilter {
        member: Some(user.id),
        ..GroupFilter::default()
    };
    let page = PageReq {
        after: None,
        limit: GROUPS_SHOWN,
    };
    let member_of = s
        .service
        .list_groups(&who.ctx, &filter, page)
        .await
        .map_err(|e| messages::plain(&e))?;
    let owners = choices::owners(&s.service, &who.ctx)
        .await
        .map_err(|e| messages::plain(&e))?;
    let all = choices::groups_for(&s.service, &who.ctx, &owners, user.owner)
        .await
        .map_err(|e| messages::plain(&e))?;
    let (groups, joinable) = all
        .into_iter()
        .partition(|g| member_of.items.iter().any(|m| m.id == g.id));
    Ok((groups, joinable))
}

/// The details pane of user `id`, rendered.
pub async fn render_pane(s: &WebState, who: &Signed, id: Id, extras: Extras) -> String {
    let user = match users::load_user(s, who, id).await {
        Ok(u) => u,
        Err(text) => return pane_message(&text),
    };
    let mut errors = extras.errors;
    let (groups, joinable) = match group_lists(s, who, &user).await {
        Ok(lists) => lists,
        Err(text) => {
            errors.general.get_or_insert(text);
            (Vec::new(), Vec::new())
        }
    };
    let owners = choices::owners(&s.service, &who.ctx)
        .await
        .unwrap_or_default();
    let v = extras.typed.unwrap_or_else(|| Details::of(&user));
    let access = user_access::render_section(
        s,
        who,
        &user,
        &owners,
        &user_access::group_names(&groups),
        &extras.access,
        &errors,
    )
    .await;
    let sessions = s
        .service
        .list_sessions(&who.ctx, user.id)
        .await
        .map(|list| list.iter().map(SessionRow::new).collect())
        .unwrap_or_default();
    let factors = s.service.second_factors(&who.ctx, user.id).await.ok();
    render::text(&DetailsPane {
        csrf: &who.csrf,
        name: full_name(&user),
        status: status_label(user.status),
        owner: choices::owner_label(&owners, user.owner),
        user: &user,
        v: &v,
        groups: &groups,
        joinable: &joinable,
        notice: extras.notice.as_deref(),
        activation: extras
            .activation
            .as_ref()
            .map(|(url, at)| (url.as_str(), at.format("%Y-%m-%d %H:%M UTC").to_string())),
        errors: &errors,
        owner_listed: owners.iter().any(|o| o.id == user.owner),
        owners: &owners,
        access,
        sessions,
        factors,
        show_factor_reset: factors.is_none_or(|f| f.any()),
        reason: &extras.reason,
    })
}

/// The pane after a change: the list reloads too.
pub async fn respond(
    s: &WebState,
    who: &Signed,
    headers: &HeaderMap,
    id: Id,
    extras: Extras,
) -> Response {
    let status = if extras.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let pane = render_pane(s, who, id, extras).await;
    users::pane_response(s, who, headers, status, pane, true, None).await
}

/// An extras with a notice, or with the error in words.
fn outcome<T>(result: Result<T, roster_core::CoreError>, done: impl FnOnce(T) -> String) -> Extras {
    match result {
        Ok(v) => Extras {
            notice: Some(done(v)),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::general(messages::plain(&e)),
            ..Extras::default()
        },
    }
}

/// `GET /users/{id}`: the details pane (in the Users tab on a full load).
pub async fn show(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    let pane = render_pane(&s, &who, id, Extras::default()).await;
    users::pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}

/// The details form's fields, for placing errors.
const DETAIL_FIELDS: &[&str] = &["login", "email", "first_name", "last_name", "phone"];

/// `POST /users/{id}`: saves the details; on an error they stay as typed.
pub async fn edit(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let typed = Details::from_form(&form);
    let optional = |v: &str| Some(Some(v.to_string()).filter(|v| !v.is_empty()));
    let change = UpdateUser {
        login: Some(typed.login.clone()),
        email: optional(&typed.email),
        first_name: optional(&typed.first_name),
        last_name: optional(&typed.last_name),
        phone: optional(&typed.phone),
        ..UpdateUser::default()
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    let extras = match s.service.update_user(&who.ctx, id, change, version).await {
        Ok(_) => Extras {
            notice: Some("Saved.".into()),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::from_core(&e, DETAIL_FIELDS),
            typed: Some(typed),
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/status`: enables or disables the user.
pub async fn set_status(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let enable = form.get("enabled").as_deref() == Some("true");
    let change = UpdateUser {
        enabled: Some(enable),
        ..UpdateUser::default()
    };
    let result = s.service.update_user(&who.ctx, id, change, None).await;
    let extras = outcome(result, |out| {
        match out.user.status {
            UserStatus::Disabled => "Disabled: the user cannot sign in, and their sessions ended.",
            UserStatus::Pending => "Enabled: the user can sign in once activated.",
            UserStatus::Active => "Enabled: the user can sign in.",
        }
        .to_string()
    });
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/groups`: adds the user to a group.
pub async fn join_group(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match form.id("group") {
        None => Extras {
            errors: FormErrors::general("Choose a group."),
            ..Extras::default()
        },
        Some(group) => {
            let result = s.service.add_member(&who.ctx, group, id, None, None).await;
            outcome(result, |j| match j.projects_joined.len() {
                0 => "Added to the group.".to_string(),
                n => format!("Added to the group, and with it to {n} project(s)."),
            })
        }
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/groups/remove`: takes the user out of a group; the account stays.
pub async fn leave_group(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match form.id("group") {
        None => Extras::default(),
        Some(group) => outcome(s.service.remove_member(&who.ctx, group, id).await, |_| {
            "Removed from the group.".to_string()
        }),
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/activation-link`: a new activation link, shown or emailed.
pub async fn activation_link(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let send = form.get("send").as_deref() == Some("true");
    let extras = match s.service.create_activation_link(&who.ctx, id, send).await {
        Ok(ActivationLink::Shown { url, expires_at }) => Extras {
            notice: Some("A new activation link; older ones no longer work.".into()),
            activation: Some((url, expires_at)),
            ..Extras::default()
        },
        Ok(ActivationLink::Sent { to, .. }) => Extras {
            notice: Some(format!("The activation link went to {to}.")),
            ..Extras::default()
        },
        Err(e) => Extras {
            errors: FormErrors::general(messages::plain(&e)),
            ..Extras::default()
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `GET /users/{id}/delete`: the confirmation, saying what goes and what stays.
pub async fn confirm_delete(
    State(s): State<WebState>,
    who: Signed,
    headers: HeaderMap,
    Path(id): Path<Id>,
) -> Response {
    let pane = match users::load_user(&s, &who, id).await {
        Ok(user) => render::text(&DeletePane {
            csrf: &who.csrf,
            user: &user,
        }),
        Err(text) => pane_message(&text),
    };
    users::pane_response(&s, &who, &headers, StatusCode::OK, pane, false, None).await
}

/// `POST /users/{id}/delete`: deletes the user.
pub async fn delete(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let login = users::load_user(&s, &who, id).await.map(|u| u.login);
    match s.service.delete_user(&who.ctx, id, None).await {
        Ok(()) => {
            let text = format!(
                "Deleted {}. What they created stays, and the audit trail keeps their id.",
                login.unwrap_or_else(|_| "the user".into())
            );
            let pane = pane_message(&text);
            users::pane_response(
                &s,
                &who,
                &headers,
                StatusCode::OK,
                pane,
                true,
                Some("/users"),
            )
            .await
        }
        Err(e) => {
            let extras = Extras {
                errors: FormErrors::general(messages::plain(&e)),
                ..Extras::default()
            };
            respond(&s, &who, &headers, id, extras).await
        }
    }
}

/// `POST /users/{id}/owner`: moves the user to another owner; the memberships the new owner
/// cannot hold go, and the pane names them.
pub async fn change_owner(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let Some(owner) = form.id("owner") else {
        let mut errors = FormErrors::none();
        errors.add("owner", "Choose an owner.");
        return respond(
            &s,
            &who,
            &headers,
            id,
            Extras::access(AccessForms::default(), errors),
        )
        .await;
    };
    let before = match users::load_user(&s, &who, id).await {
        Ok(u) => u.owner,
        Err(text) => return respond(&s, &who, &headers, id, Extras::error(text)).await,
    };
    let change = UpdateUser {
        owner: Some(owner),
        ..UpdateUser::default()
    };
    let extras = match s.service.update_user(&who.ctx, id, change, None).await {
        Ok(out) if out.user.owner == before => Extras::notice("The owner stays as it was."),
        Ok(out) => {
            let mut names = Vec::new();
            for g in &out.removed_from_groups {
                names.push(match s.service.get_group(&who.ctx, *g).await {
                    Ok(g) => g.name,
                    Err(_) => g.to_string(),
                });
            }
            Extras::notice(if names.is_empty() {
                "Owner changed; the user keeps all their groups.".to_string()
            } else {
                format!(
                    "Owner changed. The new owner cannot hold these groups, so the user left \
                     them: {}.",
                    names.join(", ")
                )
            })
        }
        Err(e) => Extras::access(
            AccessForms::default(),
            FormErrors::from_core(&e, &["owner"]),
        ),
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/password`: sets the user's password (typed twice), optionally asking
/// for a new one at next sign-in. The user's sessions end.
pub async fn set_password(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let password = form.secret("new_password");
    let must_change = form.ticked("must_change_password");
    let mut errors = FormErrors::none();
    match &password {
        None => errors.add("new_password", "Fill this in."),
        Some(p) if form.secret("new_confirm").as_ref() != Some(p) => {
            errors.add("new_confirm", "The two passwords differ.")
        }
        Some(_) => {}
    }
    let extras = match password.filter(|_| errors.is_empty()) {
        None => Extras::access(AccessForms::default(), errors),
        Some(p) => match s.service.set_password(&who.ctx, id, &p, must_change).await {
            Ok(()) if must_change => Extras::notice(
                "Password set. The user must choose a new one at their next sign-in; their \
                 sessions ended.",
            ),
            Ok(()) => Extras::notice("Password set; the user's sessions ended."),
            Err(e) => Extras::access(
                AccessForms::default(),
                FormErrors::from_core_renamed(
                    &e,
                    &["new_password"],
                    &[("password", "new_password")],
                ),
            ),
        },
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/password-change`: requires (or stops requiring) a new password at the
/// user's next sign-in.
pub async fn require_password_change(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let required = form.get("required").as_deref() == Some("true");
    let change = UpdateUser {
        must_change_password: Some(required),
        ..UpdateUser::default()
    };
    let result = s.service.update_user(&who.ctx, id, change, None).await;
    let extras = outcome(result, |_| {
        if required {
            "The user must choose a new password at their next sign-in.".to_string()
        } else {
            "The user no longer has to choose a new password.".to_string()
        }
    });
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/second-factors/reset`: removes the user's authenticator and recovery
/// codes; their sessions end.
pub async fn reset_second_factors(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, .. }: SignedForm,
) -> Response {
    let result = s.service.reset_second_factors(&who.ctx, id).await;
    let extras = outcome(result, |_| {
        "Second factors reset: the authenticator and recovery codes are gone, and the user's \
         sessions ended."
            .to_string()
    });
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/sessions/end`: ends one session of the user, or all of them.
pub async fn end_sessions(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let extras = match form.id("session") {
        Some(session) => outcome(
            s.service.end_user_session(&who.ctx, id, session).await,
            |_| "Session ended.".to_string(),
        ),
        None => outcome(s.service.end_user_sessions(&who.ctx, id).await, |n| {
            format!("{n} session(s) ended.")
        }),
    };
    respond(&s, &who, &headers, id, extras).await
}

/// `POST /users/{id}/impersonate`: "login as user" with a reason. The session goes into the
/// console's impersonation cookie beside the administrator's own session, and the console
/// opens as the user.
pub async fn impersonate(
    State(s): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<Id>,
    SignedForm { who, form }: SignedForm,
) -> Response {
    let reason = form.get("reason").unwrap_or_default();
    match s.service.impersonate(&who.ctx, id, &reason).await {
        Ok(out) => {
            let res = if render::wants_fragment(&headers) {
                let mut res = StatusCode::OK.into_response();
                res.headers_mut()
                    .insert("hx-redirect", HeaderValue::from_static("/users"));
                res
            } else {
                Redirect::to("/users").into_response()
            };
            session::with_cookies(res, session::impersonation_cookie(&s, &out.token))
        }
        Err(e) => {
            let extras = Extras {
                errors: FormErrors::from_core(&e, &["reason"]),
                reason,
                ..Extras::default()
            };
            respond(&s, &who, &headers, id, extras).await
        }
    }
}
