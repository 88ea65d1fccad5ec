//! How model values are stored: ids as 16-byte blobs, times as microseconds, enums as their
//! stable names, org paths as `id/id/…/`; and the mapping from result rows back to the model.

use crate::error::{db_err, other};
use chrono::DateTime;
use roster_core::model::*;
use roster_core::store::StoreResult;
use roster_core::{Id, Timestamp};
use sqlx::sqlite::SqliteRow;
use sqlx::{ColumnIndex, Row};
use std::fmt::Display;

/// A column as the readers below take it: by name, or by position in the select list (which
/// spares a name lookup per value where many rows are read).
pub(crate) trait Column: ColumnIndex<SqliteRow> + Display + Copy {}
impl<C: ColumnIndex<SqliteRow> + Display + Copy> Column for C {}

/// An id as stored: its 16 bytes (bytewise order is UUIDv7 time order).
pub(crate) fn blob(id: Id) -> Vec<u8> {
    id.as_bytes().to_vec()
}

/// An optional id as stored.
pub(crate) fn opt_blob(id: Option<Id>) -> Option<Vec<u8>> {
    id.map(blob)
}

/// A time as stored: microseconds since the Unix epoch.
pub(crate) fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// An optional time as stored.
pub(crate) fn opt_micros(t: Option<Timestamp>) -> Option<i64> {
    t.map(micros)
}

/// A node's path as stored: each id of the path, hyphenated and lower-case, followed by `/`.
pub(crate) fn path_text(path: &[Id]) -> String {
    path.iter().map(|id| format!("{id}/")).collect()
}

/// Lower-cases searchable text for its `*_lc` column.
pub(crate) fn lc(s: &str) -> String {
    s.to_lowercase()
}

/// Reads an id column, named or by position.
pub(crate) fn id_at<C: Column>(row: &SqliteRow, column: C) -> StoreResult<Id> {
    let bytes: &[u8] = row.try_get(column).map_err(db_err)?;
    Id::from_slice(bytes).map_err(|e| other(format!("bad id in column {column}: {e}")))
}

fn opt_id_at<C: Column>(row: &SqliteRow, column: C) -> StoreResult<Option<Id>> {
    let bytes: Option<&[u8]> = row.try_get(column).map_err(db_err)?;
    bytes
        .map(|b| Id::from_slice(b).map_err(|e| other(format!("bad id in column {column}: {e}"))))
        .transpose()
}

fn time_from<C: Column>(micros: i64, column: C) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| other(format!("time out of range in column {column}: {micros}")))
}

fn time_at<C: Column>(row: &SqliteRow, column: C) -> StoreResult<Timestamp> {
    time_from(row.try_get(column).map_err(db_err)?, column)
}

fn opt_time_at<C: Column>(row: &SqliteRow, column: C) -> StoreResult<Option<Timestamp>> {
    let micros: Option<i64> = row.try_get(column).map_err(db_err)?;
    micros.map(|m| time_from(m, column)).transpose()
}

fn enum_at<T, C: Column>(
    row: &SqliteRow,
    column: C,
    parse: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let name: &str = row.try_get(column).map_err(db_err)?;
    parse(name).ok_or_else(|| other(format!("unknown value {name:?} in column {column}")))
}

fn get<'r, T, C: Column>(row: &'r SqliteRow, column: C) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(column).map_err(db_err)
}

/// A list of names as stored: a JSON array.
pub(crate) fn names_json(names: &[String]) -> StoreResult<String> {
    serde_json::to_string(names).map_err(|e| other(format!("cannot encode a list of names: {e}")))
}

/// Reads a JSON array of names (the common empty one without parsing).
fn names_at<C: Column>(row: &SqliteRow, column: C) -> StoreResult<Vec<String>> {
    let text: &str = get(row, column)?;
    if text == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| other(format!("bad list in column {column}: {e}")))
}

fn path_at(row: &SqliteRow) -> StoreResult<Vec<Id>> {
    let text: &str = get(row, "path")?;
    text.split_terminator('/')
        .map(|part| Id::parse_str(part).map_err(|e| other(format!("bad org path {text:?}: {e}"))))
        .collect()
}

/// The columns [`org_node`] reads, of `org_nodes n`.
pub(crate) const ORG_COLUMNS: &str = "n.id, n.kind, n.name, n.parent_id, n.tenant_id, n.path, \
     n.version, n.created_at, n.updated_at";

/// An org node from a row of [`ORG_COLUMNS`].
pub(crate) fn org_node(row: &SqliteRow) -> StoreResult<OrgNode> {
    Ok(OrgNode {
        id: id_at(row, "id")?,
        kind: enum_at(row, "kind", OrgKind::parse)?,
        name: get(row, "name")?,
        parent: opt_id_at(row, "parent_id")?,
        tenant: id_at(row, "tenant_id")?,
        path: path_at(row)?,
        version: get(row, "version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`user`] reads, of `users u`.
pub(crate) const USER_COLUMNS: &str = "u.id, u.tenant_id, u.owner_id, u.login, u.email, \
     u.email_verified, u.first_name, u.last_name, u.phone, u.kind, u.status, \
     u.must_change_password, u.version, u.created_at, u.updated_at";

/// A user and their password hash from a row of [`USER_COLUMNS`] and `u.password_hash`.
pub(crate) fn user_with_hash(row: &SqliteRow) -> StoreResult<(User, Option<String>)> {
    Ok((user(row)?, row.try_get("password_hash").map_err(db_err)?))
}

/// A user from a row of [`USER_COLUMNS`].
pub(crate) fn user(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: id_at(row, "id")?,
        tenant: id_at(row, "tenant_id")?,
        owner: id_at(row, "owner_id")?,
        login: get(row, "login")?,
        email: get(row, "email")?,
        email_verified: get(row, "email_verified")?,
        first_name: get(row, "first_name")?,
        last_name: get(row, "last_name")?,
        phone: get(row, "phone")?,
        kind: enum_at(row, "kind", UserKind::parse)?,
        status: enum_at(row, "status", UserStatus::parse)?,
        must_change_password: get(row, "must_change_password")?,
        version: get(row, "version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`group`] reads, of `user_groups g`.
pub(crate) const GROUP_COLUMNS: &str = "g.id, g.tenant_id, g.owner_id, g.name, g.description, \
     g.level, g.kind, g.version, g.created_at, g.updated_at";

/// A group from a row of [`GROUP_COLUMNS`].
pub(crate) fn group(row: &SqliteRow) -> StoreResult<Group> {
    Ok(Group {
        id: id_at(row, "id")?,
        tenant: id_at(row, "tenant_id")?,
        owner: id_at(row, "owner_id")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        level: enum_at(row, "level", GroupLevel::parse)?,
        kind: enum_at(row, "kind", GroupKind::parse)?,
        version: get(row, "version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`membership`] reads, of `memberships m`.
pub(crate) const MEMBERSHIP_COLUMNS: &str =
    "m.group_id, m.user_id, m.tenant_id, m.valid_from, m.valid_until, m.created_at";

/// A membership from a row of [`MEMBERSHIP_COLUMNS`].
pub(crate) fn membership(row: &SqliteRow) -> StoreResult<Membership> {
    Ok(Membership {
        group: id_at(row, "group_id")?,
        user: id_at(row, "user_id")?,
        tenant: id_at(row, "tenant_id")?,
        valid_from: opt_time_at(row, "valid_from")?,
        valid_until: opt_time_at(row, "valid_until")?,
        created_at: time_at(row, "created_at")?,
    })
}

/// The columns [`token`] reads, of `tokens t`.
pub(crate) const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.tenant_id, t.kind, t.name, \
     t.created_at, t.expires_at, t.last_used_at, t.impersonator_id";

/// A token record from a row of [`TOKEN_COLUMNS`].
pub(crate) fn token(row: &SqliteRow) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: id_at(row, "id")?,
        user: id_at(row, "user_id")?,
        tenant: id_at(row, "tenant_id")?,
        kind: enum_at(row, "kind", TokenKind::parse)?,
        name: get(row, "name")?,
        created_at: time_at(row, "created_at")?,
        expires_at: time_at(row, "expires_at")?,
        last_used_at: time_at(row, "last_used_at")?,
        impersonator: opt_id_at(row, "impersonator_id")?,
    })
}

/// The columns [`audit_event`] reads, of `audit_events a`.
pub(crate) const AUDIT_COLUMNS: &str = "a.id, a.time, a.tenant_id, a.actor_id, \
     a.impersonator_id, a.action, a.target_id, a.summary, a.request_id, a.address";

/// An audit event from a row of [`AUDIT_COLUMNS`].
pub(crate) fn audit_event(row: &SqliteRow) -> StoreResult<AuditEvent> {
    let summary: &str = get(row, "summary")?;
    Ok(AuditEvent {
        id: id_at(row, "id")?,
        time: time_at(row, "time")?,
        tenant: id_at(row, "tenant_id")?,
        actor: opt_id_at(row, "actor_id")?,
        impersonator: opt_id_at(row, "impersonator_id")?,
        action: get(row, "action")?,
        target: opt_id_at(row, "target_id")?,
        summary: serde_json::from_str(summary)
            .map_err(|e| other(format!("bad audit summary: {e}")))?,
        request_id: get(row, "request_id")?,
        address: get(row, "address")?,
    })
}

/// The columns [`resource_type`] reads, in order, of `resource_types t`.
pub(crate) const RESOURCE_TYPE_COLUMNS: &str = "t.name, t.actions, t.created_at, t.updated_at";

/// A registered (so not built-in) resource type from a row of [`RESOURCE_TYPE_COLUMNS`].
pub(crate) fn resource_type(row: &SqliteRow) -> StoreResult<ResourceType> {
    Ok(ResourceType {
        name: get(row, 0)?,
        actions: names_at(row, 1)?,
        builtin: false,
        created_at: time_at(row, 2)?,
        updated_at: time_at(row, 3)?,
    })
}

/// The columns [`resource`] reads, in order, of `resources r`.
pub(crate) const RESOURCE_COLUMNS: &str = "r.id, r.tenant_id, r.owner_id, r.rtype, r.name, \
     r.version, r.created_at, r.updated_at";

/// A resource from a row of [`RESOURCE_COLUMNS`].
pub(crate) fn resource(row: &SqliteRow) -> StoreResult<Resource> {
    Ok(Resource {
        id: id_at(row, 0)?,
        tenant: id_at(row, 1)?,
        owner: id_at(row, 2)?,
        rtype: get(row, 3)?,
        name: get(row, 4)?,
        version: get(row, 5)?,
        created_at: time_at(row, 6)?,
        updated_at: time_at(row, 7)?,
    })
}

/// The columns [`resource_group`] reads, in order, of `resource_groups rg`.
pub(crate) const RESOURCE_GROUP_COLUMNS: &str = "rg.id, rg.tenant_id, rg.owner_id, rg.name, \
     rg.description, rg.version, rg.created_at, rg.updated_at";

/// A resource group from a row of [`RESOURCE_GROUP_COLUMNS`].
pub(crate) fn resource_group(row: &SqliteRow) -> StoreResult<ResourceGroup> {
    Ok(ResourceGroup {
        id: id_at(row, 0)?,
        tenant: id_at(row, 1)?,
        owner: id_at(row, 2)?,
        name: get(row, 3)?,
        description: get(row, 4)?,
        version: get(row, 5)?,
        created_at: time_at(row, 6)?,
        updated_at: time_at(row, 7)?,
    })
}

/// The columns [`project`] reads, in order, of `projects p`.
pub(crate) const PROJECT_COLUMNS: &str = "p.id, p.tenant_id, p.owner_id, p.name, \
     p.description, p.exclusive, p.version, p.created_at, p.updated_at";

/// A project from a row of [`PROJECT_COLUMNS`].
pub(crate) fn project(row: &SqliteRow) -> StoreResult<Project> {
    Ok(Project {
        id: id_at(row, 0)?,
        tenant: id_at(row, 1)?,
        owner: id_at(row, 2)?,
        name: get(row, 3)?,
        description: get(row, 4)?,
        exclusive: get(row, 5)?,
        version: get(row, 6)?,
        created_at: time_at(row, 7)?,
        updated_at: time_at(row, 8)?,
    })
}

/// The columns [`role`] reads, in order, of `roles ro`.
pub(crate) const ROLE_COLUMNS: &str = "ro.id, ro.tenant_id, ro.owner_id, ro.name, \
     ro.description, ro.permissions, ro.version, ro.created_at, ro.updated_at";

/// A custom (so not built-in) role from a row of [`ROLE_COLUMNS`].
pub(crate) fn role(row: &SqliteRow) -> StoreResult<Role> {
    Ok(Role {
        id: id_at(row, 0)?,
        tenant: id_at(row, 1)?,
        owner: id_at(row, 2)?,
        name: get(row, 3)?,
        description: get(row, 4)?,
        permissions: names_at(row, 5)?,
        builtin: false,
        version: get(row, 6)?,
        created_at: time_at(row, 7)?,
        updated_at: time_at(row, 8)?,
    })
}

/// The columns [`grant`] reads, in order, of `grants gr`.
pub(crate) const GRANT_COLUMNS: &str = "gr.id, gr.tenant_id, gr.subject_id, gr.subject_kind, \
     gr.role_id, gr.permissions, gr.scope_id, gr.scope_kind, gr.effect, gr.valid_from, \
     gr.valid_until, gr.version, gr.created_at, gr.updated_at";

/// A grant from a row of [`GRANT_COLUMNS`].
pub(crate) fn grant(row: &SqliteRow) -> StoreResult<Grant> {
    Ok(Grant {
        id: id_at(row, 0)?,
        tenant: id_at(row, 1)?,
        subject: id_at(row, 2)?,
        subject_kind: enum_at(row, 3, SubjectKind::parse)?,
        role: opt_id_at(row, 4)?,
        permissions: names_at(row, 5)?,
        scope: id_at(row, 6)?,
        scope_kind: enum_at(row, 7, ScopeKind::parse)?,
        effect: enum_at(row, 8, Effect::parse)?,
        valid_from: opt_time_at(row, 9)?,
        valid_until: opt_time_at(row, 10)?,
        version: get(row, 11)?,
        created_at: time_at(row, 12)?,
        updated_at: time_at(row, 13)?,
    })
}

/// An access change from a row of `version, kind, entity_id`.
pub(crate) fn access_change(row: &SqliteRow) -> StoreResult<(i64, AccessChange)> {
    Ok((
        get(row, 0)?,
        AccessChange::new(enum_at(row, 1, AccessKind::parse)?, id_at(row, 2)?),
    ))
}

/// A project member and since when, from a row of `user_id, created_at`.
pub(crate) fn member_since(row: &SqliteRow) -> StoreResult<(Id, Timestamp)> {
    Ok((id_at(row, 0)?, time_at(row, 1)?))
}

/// Maps every row, stopping at the first that does not fit the model.
pub(crate) fn all<T>(
    rows: Vec<SqliteRow>,
    map: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(map).collect()
}

/// A TOTP authenticator.
pub(crate) fn totp_factor(row: &SqliteRow) -> StoreResult<TotpFactor> {
    let confirmed: i64 = get(row, "confirmed")?;
    Ok(TotpFactor {
        user: id_at(row, "user_id")?,
        secret: get(row, "secret")?,
        confirmed: confirmed != 0,
        last_step: get(row, "last_step")?,
        created_at: time_at(row, "created_at")?,
    })
}

/// A settings document.
pub(crate) fn setting(row: &SqliteRow) -> StoreResult<Setting> {
    Ok(Setting {
        scope: id_at(row, "scope_id")?,
        name: get(row, "name")?,
        value: get(row, "value")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// A user with email codes on, and since when.
pub(crate) fn email_factor(row: &SqliteRow) -> StoreResult<(Id, Timestamp)> {
    Ok((id_at(row, "user_id")?, time_at(row, "created_at")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_text_is_slash_terminated_lower_case() {
        let a = Id::from_u128(0xABCD);
        let b = Id::from_u128(0xEF01);
        assert_eq!(
            path_text(&[a, b]),
            "00000000-0000-0000-0000-00000000abcd/00000000-0000-0000-0000-00000000ef01/"
        );
    }
}
