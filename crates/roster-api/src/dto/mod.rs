//! The JSON shapes of the REST API and their conversions from the domain.

use chrono::{DateTime, Utc};
use roster_core::model::{
    AuditEvent, Group, GroupKind, GroupLevel, OrgNode, TokenRecord, User, UserKind, UserStatus,
};
use roster_core::page::Page;
use roster_core::service::MemberView;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

mod access;
mod settings;
pub use access::*;
pub use settings::*;

/// One page of a list, with the cursor for the next page (absent on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> ListOf<T> {
    /// Converts a service page.
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        ListOf {
            next_cursor: page.next_cursor.clone(),
            items: page.items.into_iter().map(f).collect(),
        }
    }
}

/// Paging parameters shared by every list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct Paging {
    /// Rows per page, 1 to 1000 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<OrgNode> for TenantDto {
    fn from(n: OrgNode) -> Self {
        TenantDto {
            id: n.id,
            name: n.name,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// A customer of a tenant or of another customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The tenant or customer it belongs to.
    pub parent: Option<Uuid>,
    /// Its tenant.
    pub tenant: Uuid,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<OrgNode> for CustomerDto {
    fn from(n: OrgNode) -> Self {
        CustomerDto {
            id: n.id,
            name: n.name,
            parent: n.parent,
            tenant: n.tenant,
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

/// Body of `POST /tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Name.
    pub name: String,
}

/// Body of `POST /customers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// Name.
    pub name: String,
    /// A tenant or customer id.
    pub parent: Uuid,
}

/// Body of `PATCH /tenants/{id}` and `PATCH /customers/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    /// New name.
    pub name: Option<String>,
}

/// A user account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Uuid.
    pub id: Uuid,
    /// Login (unique install-wide, case-insensitive).
    pub login: String,
    /// Email.
    pub email: Option<String>,
    /// Whether the email was verified.
    pub email_verified: bool,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Owning tenant or customer.
    pub owner: Uuid,
    /// The owner's tenant.
    pub tenant: Uuid,
    /// `internal` or `external`.
    #[schema(value_type = String, example = "internal")]
    pub kind: UserKind,
    /// `pending`, `active` or `disabled`.
    #[schema(value_type = String, example = "active")]
    pub status: UserStatus,
    /// Whether the next login must change the password.
    pub must_change_password: bool,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id,
            login: u.login,
            email: u.email,
            email_verified: u.email_verified,
            first_name: u.first_name,
            last_name: u.last_name,
            phone: u.phone,
            owner: u.owner,
            tenant: u.tenant,
            kind: u.kind,
            status: u.status,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// Body of `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    /// Login; defaults to the email.
    pub login: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Owning tenant or customer.
    pub owner: Uuid,
    /// `internal` (default) or `external`.
    #[schema(value_type = Option<String>)]
    pub kind: Option<UserKind>,
    /// Initial password; without one the user is pending until activated.
    pub password: Option<String>,
    /// Whether the user may log in (default true).
    pub enabled: Option<bool>,
    /// Groups to join.
    #[serde(default)]
    pub groups: Vec<Uuid>,
    /// Require a password change at first login.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Deserialises a field that may be absent (leave alone), `null` (clear) or a value.
fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `PATCH /users/{id}`: absent fields stay, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserBody {
    /// New login.
    pub login: Option<String>,
    /// New email, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// New first name, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    /// New last name, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    /// New phone, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New owner; memberships the new owner cannot hold are removed.
    pub owner: Option<Uuid>,
    /// Require (or stop requiring) a password change at next login.
    pub must_change_password: Option<bool>,
}

/// A user after an update, with the groups an owner change removed them from.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatedUserDto {
    /// The user.
    #[serde(flatten)]
    pub user: UserDto,
    /// Groups left because the new owner cannot hold them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed_from_groups: Vec<Uuid>,
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UserListParams {
    /// Owned by exactly this tenant or customer.
    pub owner: Option<Uuid>,
    /// Member of this group.
    pub group: Option<Uuid>,
    /// `pending`, `active` or `disabled`.
    #[param(value_type = Option<String>)]
    pub status: Option<UserStatus>,
    /// Prefix of login, email, first or last name.
    pub q: Option<String>,
}

/// A group.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owning tenant or customer (or project).
    pub owner: Uuid,
    /// The owner's tenant.
    pub tenant: Uuid,
    /// `org` or `project`.
    #[schema(value_type = String, example = "org")]
    pub level: GroupLevel,
    /// `custom`, or the predefined `administrators`, `users`, `all`.
    #[schema(value_type = String, example = "custom")]
    pub kind: GroupKind,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Group> for GroupDto {
    fn from(g: Group) -> Self {
        GroupDto {
            id: g.id,
            name: g.name,
            description: g.description,
            owner: g.owner,
            tenant: g.tenant,
            level: g.level,
            kind: g.kind,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// Body of `POST /groups`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupBody {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Owning tenant or customer, or a project (the group is then project-level).
    pub owner: Uuid,
}

/// Body of `PATCH /groups/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupBody {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// The level is fixed at creation: naming another one is a conflict.
    #[schema(value_type = Option<String>, example = "org")]
    pub level: Option<GroupLevel>,
}

/// Filters of `GET /groups`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct GroupListParams {
    /// Owned by exactly this tenant or customer.
    pub owner: Option<Uuid>,
    /// Groups this user is a member of.
    pub member: Option<Uuid>,
    /// Name prefix.
    pub q: Option<String>,
}

/// Filters of `GET /tenants` and `GET /customers`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrgListParams {
    /// Direct children of this node (customers only).
    pub parent: Option<Uuid>,
    /// Name prefix.
    pub q: Option<String>,
}

/// Body of `POST /groups/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberBody {
    /// The user to add.
    pub user: Uuid,
    /// Not effective before.
    pub valid_from: Option<DateTime<Utc>>,
    /// Not effective from.
    pub valid_until: Option<DateTime<Utc>>,
}

/// A group member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    /// The user.
    pub user: UserDto,
    /// Not effective before.
    pub valid_from: Option<DateTime<Utc>>,
    /// Not effective from.
    pub valid_until: Option<DateTime<Utc>>,
}

impl From<MemberView> for MemberDto {
    fn from(m: MemberView) -> Self {
        MemberDto {
            user: m.user.into(),
            valid_from: m.valid_from,
            valid_until: m.valid_until,
        }
    }
}

/// Body of `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Login (any case).
    pub login: String,
    /// Password.
    pub password: String,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    /// Set when the token is not yet a full session: `change_password` means it may only
    /// `POST /me/password`; `mfa` means a second factor is needed (`POST /auth/mfa`, and
    /// `POST /auth/mfa/email` to have a code emailed); `mfa_enrolment` means the tenant's
    /// policy requires a second factor the user has not set up (`POST /auth/mfa/enrol`,
    /// `/auth/mfa/enrol/confirm`, or `/auth/mfa/enrol/email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// With `next: mfa` or `mfa_enrolment`, the token of that step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_token: Option<String>,
    /// With `next: mfa`, the factors the user may answer with (`totp`, `recovery_code`,
    /// `email`); with `mfa_enrolment`, those they may set up (`totp`, `email`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
    /// After setting up an authenticator at sign-in: its ten recovery codes, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
    /// Bearer token (also set as the session cookie).
    pub token: String,
    /// The value for the `x-csrf-token` header on cookie-authenticated changes.
    pub csrf_token: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: UserDto,
}

/// Body of `POST /auth/mfa`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaBody {
    /// The `mfa_token` of the login's answer.
    pub mfa_token: String,
    /// A code from the authenticator app, or a recovery code.
    pub code: String,
}

/// Body of `POST /me/totp/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeBody {
    /// The authenticator's current code.
    pub code: String,
}

/// A TOTP enrolment: what an authenticator app needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollmentDto {
    /// The shared secret, base32, for typing in.
    pub secret: String,
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
    /// The same URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// The recovery codes of a confirmed enrolment, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesDto {
    /// Ten single-use codes.
    pub recovery_codes: Vec<String>,
}

/// Body of `POST /auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// The login (often the email address) of the account.
    pub login: String,
}

/// A token from a link or a sign-in step, alone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token.
    pub token: String,
}

/// Body of `POST /auth/mfa/email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaTokenBody {
    /// The `mfa_token` of the login's answer.
    pub mfa_token: String,
}

/// Body of `POST /auth/mfa/enrol/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolConfirmBody {
    /// The `mfa_token` of the login's `mfa_enrolment` answer.
    pub token: String,
    /// The authenticator's current code.
    pub code: String,
}

/// Where an email went (masked where it answers an anonymous caller).
#[derive(Debug, Serialize, ToSchema)]
pub struct SentDto {
    /// The address.
    pub sent_to: String,
}

/// Body of `POST /activate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateBody {
    /// The `token` query parameter of the activation link.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// An API token (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenDto {
    /// Uuid.
    pub id: Uuid,
    /// Name.
    pub name: Option<String>,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Last use (to the minute).
    pub last_used_at: DateTime<Utc>,
}

impl From<TokenRecord> for ApiTokenDto {
    fn from(t: TokenRecord) -> Self {
        ApiTokenDto {
            id: t.id,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new API token, with its secret shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewApiTokenDto {
    /// The secret: send as `Authorization: Bearer <token>`.
    pub token: String,
    /// The token's record.
    #[serde(flatten)]
    pub record: ApiTokenDto,
}

/// Body of `POST /me/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenBody {
    /// A name to recognise it by.
    pub name: String,
    /// When it stops working (default 90 days, at most two years).
    pub expires_at: Option<DateTime<Utc>>,
}

/// An audit event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Uuid.
    pub id: Uuid,
    /// When.
    pub time: DateTime<Utc>,
    /// Tenant.
    pub tenant: Uuid,
    /// Who (absent for roster itself).
    pub actor: Option<Uuid>,
    /// Who was impersonating the actor.
    pub impersonator: Option<Uuid>,
    /// What, like `user.create`.
    pub action: String,
    /// To what.
    pub target: Option<Uuid>,
    /// What changed.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// The request's id.
    pub request_id: Option<String>,
    /// The client's address.
    pub address: Option<String>,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        AuditEventDto {
            id: e.id,
            time: e.time,
            tenant: e.tenant,
            actor: e.actor,
            impersonator: e.impersonator,
            action: e.action,
            target: e.target,
            summary: e.summary,
            request_id: e.request_id,
            address: e.address,
        }
    }
}

/// Filters of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// Done by this user.
    pub actor: Option<Uuid>,
    /// Done to this object.
    pub target: Option<Uuid>,
    /// This action, or a family ending in `.` (`user.`).
    pub action: Option<String>,
    /// At or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

/// Body of `POST /users/{id}/activation-link`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationLinkBody {
    /// Email the link instead of returning it (needs outgoing email).
    #[serde(default)]
    pub send: bool,
}

/// A new activation link: `url` when shown, `sent_to` when emailed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationLinkDto {
    /// The link; its `token` query parameter is the one-time secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The address the link was emailed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_to: Option<String>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Body of `POST /users/{id}/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordBody {
    /// The new password.
    pub password: String,
    /// Require a change at the next login.
    #[serde(default)]
    pub must_change_password: bool,
}

/// Body of `POST /me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    /// The password now.
    pub current_password: String,
    /// The password wanted.
    pub new_password: String,
}

/// Body of `POST /settings/smtp/test`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpTestBody {
    /// Where to send the test email.
    pub to: String,
}

/// A live session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfoDto {
    /// Id (what ends it).
    pub id: Uuid,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// Its last request (to the minute).
    pub last_used_at: DateTime<Utc>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
    /// Whether it is the session of this request.
    pub current: bool,
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndedDto {
    /// The number of sessions ended.
    pub ended: u64,
}

/// Body of `POST /users/{id}/impersonate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpersonateBody {
    /// Why (kept in the audit log).
    pub reason: String,
}

/// Who is acting as the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImpersonatorDto {
    /// The administrator's id.
    pub id: Uuid,
    /// The administrator's login.
    pub login: String,
}

/// The signed-in user, and the administrator behind a "login as user" session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    /// The user.
    #[serde(flatten)]
    pub user: UserDto,
    /// Set while an administrator is logged in as this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<ImpersonatorDto>,
}

/// A "login as user" session.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImpersonationDto {
    /// Bearer token of the session; no cookie is set, so a browser keeps its own session to
    /// return to.
    pub token: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// The user now acted as.
    pub user: UserDto,
}
