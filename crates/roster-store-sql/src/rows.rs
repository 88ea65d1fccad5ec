//! How model values are stored: times as microseconds, enums as their stable names, lists of
//! names as JSON arrays, org paths as `id/id/…/`; and the mapping from result rows of either
//! store back to the model. (How an id is stored differs: see [`crate::row`].)

use crate::row::{Column, SqlRow};
use chrono::DateTime;
use roster_core::model::*;
use roster_core::store::{StoreError, StoreResult};
use roster_core::{Id, Timestamp};

/// A time as stored: microseconds since the Unix epoch.
pub fn micros(t: Timestamp) -> i64 {
    t.timestamp_micros()
}

/// An optional time as stored.
pub fn opt_micros(t: Option<Timestamp>) -> Option<i64> {
    t.map(micros)
}

/// A node's path as stored: each id of the path, hyphenated and lower-case, followed by `/`.
pub fn path_text(path: &[Id]) -> String {
    path.iter().map(|id| format!("{id}/")).collect()
}

/// Lower-cases searchable text for its `*_lc` column.
pub fn lc(s: &str) -> String {
    s.to_lowercase()
}

/// A list of names as stored: a JSON array, as text.
pub fn names_json(names: &[String]) -> StoreResult<String> {
    serde_json::to_string(names).map_err(|e| other(format!("cannot encode a list of names: {e}")))
}

fn other(message: String) -> StoreError {
    StoreError::Other(message)
}

/// Reads an id column, named or by position.
pub fn id_at<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<Id> {
    row.id(column)
}

fn string<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<String> {
    row.text(column).map(str::to_owned)
}

fn opt_string<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<Option<String>> {
    Ok(row.opt_text(column)?.map(str::to_owned))
}

fn time_from<C: Column>(micros: i64, column: C) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| other(format!("time out of range in column {column}: {micros}")))
}

fn time_at<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<Timestamp> {
    time_from(row.int(column)?, column)
}

fn opt_time_at<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<Option<Timestamp>> {
    row.opt_int(column)?
        .map(|m| time_from(m, column))
        .transpose()
}

fn enum_at<R: SqlRow, T, C: Column>(
    row: &R,
    column: C,
    parse: fn(&str) -> Option<T>,
) -> StoreResult<T> {
    let name = row.text(column)?;
    parse(name).ok_or_else(|| other(format!("unknown value {name:?} in column {column}")))
}

/// Reads a JSON array of names (the common empty one without parsing).
fn names_at<R: SqlRow, C: Column>(row: &R, column: C) -> StoreResult<Vec<String>> {
    let text = row.text(column)?;
    if text == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|e| other(format!("bad list in column {column}: {e}")))
}

fn path_at<R: SqlRow>(row: &R) -> StoreResult<Vec<Id>> {
    let text = row.text("path")?;
    text.split_terminator('/')
        .map(|part| Id::parse_str(part).map_err(|e| other(format!("bad org path {text:?}: {e}"))))
        .collect()
}

/// The columns [`org_node`] reads, of `org_nodes n`.
pub const ORG_COLUMNS: &str = "n.id, n.kind, n.name, n.parent_id, n.tenant_id, n.path, \
     n.version, n.created_at, n.updated_at";

/// An org node from a row of [`ORG_COLUMNS`].
pub fn org_node<R: SqlRow>(row: &R) -> StoreResult<OrgNode> {
    Ok(OrgNode {
        id: row.id("id")?,
        kind: enum_at(row, "kind", OrgKind::parse)?,
        name: string(row, "name")?,
        parent: row.opt_id("parent_id")?,
        tenant: row.id("tenant_id")?,
        path: path_at(row)?,
        version: row.int("version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`user`] reads, of `users u`.
pub const USER_COLUMNS: &str = "u.id, u.tenant_id, u.owner_id, u.login, u.email, \
     u.email_verified, u.first_name, u.last_name, u.phone, u.kind, u.status, \
     u.must_change_password, u.version, u.created_at, u.updated_at";

/// A user and their password hash from a row of [`USER_COLUMNS`] and `u.password_hash`.
pub fn user_with_hash<R: SqlRow>(row: &R) -> StoreResult<(User, Option<String>)> {
    Ok((user(row)?, opt_string(row, "password_hash")?))
}

/// A user from a row of [`USER_COLUMNS`].
pub fn user<R: SqlRow>(row: &R) -> StoreResult<User> {
    Ok(User {
        id: row.id("id")?,
        tenant: row.id("tenant_id")?,
        owner: row.id("owner_id")?,
        login: string(row, "login")?,
        email: opt_string(row, "email")?,
        email_verified: row.flag("email_verified")?,
        first_name: opt_string(row, "first_name")?,
        last_name: opt_string(row, "last_name")?,
        phone: opt_string(row, "phone")?,
        kind: enum_at(row, "kind", UserKind::parse)?,
        status: enum_at(row, "status", UserStatus::parse)?,
        must_change_password: row.flag("must_change_password")?,
        version: row.int("version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`group`] reads, of `user_groups g`.
pub const GROUP_COLUMNS: &str = "g.id, g.tenant_id, g.owner_id, g.name, g.description, \
     g.level, g.kind, g.version, g.created_at, g.updated_at";

/// A group from a row of [`GROUP_COLUMNS`].
pub fn group<R: SqlRow>(row: &R) -> StoreResult<Group> {
    Ok(Group {
        id: row.id("id")?,
        tenant: row.id("tenant_id")?,
        owner: row.id("owner_id")?,
        name: string(row, "name")?,
        description: string(row, "description")?,
        level: enum_at(row, "level", GroupLevel::parse)?,
        kind: enum_at(row, "kind", GroupKind::parse)?,
        version: row.int("version")?,
        created_at: time_at(row, "created_at")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// The columns [`membership`] reads, of `memberships m`.
pub const MEMBERSHIP_COLUMNS: &str =
    "m.group_id, m.user_id, m.tenant_id, m.valid_from, m.valid_until, m.created_at";

/// A membership from a row of [`MEMBERSHIP_COLUMNS`].
pub fn membership<R: SqlRow>(row: &R) -> StoreResult<Membership> {
    Ok(Membership {
        group: row.id("group_id")?,
        user: row.id("user_id")?,
        tenant: row.id("tenant_id")?,
        valid_from: opt_time_at(row, "valid_from")?,
        valid_until: opt_time_at(row, "valid_until")?,
        created_at: time_at(row, "created_at")?,
    })
}

/// The columns [`token`] reads, of `tokens t`.
pub const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.tenant_id, t.kind, t.name, \
     t.created_at, t.expires_at, t.last_used_at, t.impersonator_id";

/// A token record from a row of [`TOKEN_COLUMNS`].
pub fn token<R: SqlRow>(row: &R) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: row.id("id")?,
        user: row.id("user_id")?,
        tenant: row.id("tenant_id")?,
        kind: enum_at(row, "kind", TokenKind::parse)?,
        name: opt_string(row, "name")?,
        created_at: time_at(row, "created_at")?,
        expires_at: time_at(row, "expires_at")?,
        last_used_at: time_at(row, "last_used_at")?,
        impersonator: row.opt_id("impersonator_id")?,
    })
}

/// The columns [`audit_event`] reads, of `audit_events a`.
pub const AUDIT_COLUMNS: &str = "a.id, a.time, a.tenant_id, a.actor_id, \
     a.impersonator_id, a.action, a.target_id, a.summary, a.request_id, a.address";

/// An audit event from a row of [`AUDIT_COLUMNS`].
pub fn audit_event<R: SqlRow>(row: &R) -> StoreResult<AuditEvent> {
    let summary = row.text("summary")?;
    Ok(AuditEvent {
        id: row.id("id")?,
        time: time_at(row, "time")?,
        tenant: row.id("tenant_id")?,
        actor: row.opt_id("actor_id")?,
        impersonator: row.opt_id("impersonator_id")?,
        action: string(row, "action")?,
        target: row.opt_id("target_id")?,
        summary: serde_json::from_str(summary)
            .map_err(|e| other(format!("bad audit summary: {e}")))?,
        request_id: opt_string(row, "request_id")?,
        address: opt_string(row, "address")?,
    })
}

/// The columns [`resource_type`] reads, in order, of `resource_types t`.
pub const RESOURCE_TYPE_COLUMNS: &str = "t.name, t.actions, t.created_at, t.updated_at";

/// A registered (so not built-in) resource type from a row of [`RESOURCE_TYPE_COLUMNS`].
pub fn resource_type<R: SqlRow>(row: &R) -> StoreResult<ResourceType> {
    Ok(ResourceType {
        name: string(row, 0)?,
        actions: names_at(row, 1)?,
        builtin: false,
        created_at: time_at(row, 2)?,
        updated_at: time_at(row, 3)?,
    })
}

/// The columns [`resource`] reads, in order, of `resources r`.
pub const RESOURCE_COLUMNS: &str = "r.id, r.tenant_id, r.owner_id, r.rtype, r.name, \
     r.version, r.created_at, r.updated_at";

/// A resource from a row of [`RESOURCE_COLUMNS`].
pub fn resource<R: SqlRow>(row: &R) -> StoreResult<Resource> {
    Ok(Resource {
        id: row.id(0)?,
        tenant: row.id(1)?,
        owner: row.id(2)?,
        rtype: string(row, 3)?,
        name: string(row, 4)?,
        version: row.int(5)?,
        created_at: time_at(row, 6)?,
        updated_at: time_at(row, 7)?,
    })
}

/// The columns [`resource_group`] reads, in order, of `resource_groups rg`.
pub const RESOURCE_GROUP_COLUMNS: &str = "rg.id, rg.tenant_id, rg.owner_id, rg.name, \
     rg.description, rg.version, rg.created_at, rg.updated_at";

/// A resource group from a row of [`RESOURCE_GROUP_COLUMNS`].
pub fn resource_group<R: SqlRow>(row: &R) -> StoreResult<ResourceGroup> {
    Ok(ResourceGroup {
        id: row.id(0)?,
        tenant: row.id(1)?,
        owner: row.id(2)?,
        name: string(row, 3)?,
        description: string(row, 4)?,
        version: row.int(5)?,
        created_at: time_at(row, 6)?,
        updated_at: time_at(row, 7)?,
    })
}

/// The columns [`project`] reads, in order, of `projects p`.
pub const PROJECT_COLUMNS: &str = "p.id, p.tenant_id, p.owner_id, p.name, \
     p.description, p.exclusive, p.version, p.created_at, p.updated_at";

/// A project from a row of [`PROJECT_COLUMNS`].
pub fn project<R: SqlRow>(row: &R) -> StoreResult<Project> {
    Ok(Project {
        id: row.id(0)?,
        tenant: row.id(1)?,
        owner: row.id(2)?,
        name: string(row, 3)?,
        description: string(row, 4)?,
        exclusive: row.flag(5)?,
        version: row.int(6)?,
        created_at: time_at(row, 7)?,
        updated_at: time_at(row, 8)?,
    })
}

/// The columns [`role`] reads, in order, of `roles ro`.
pub const ROLE_COLUMNS: &str = "ro.id, ro.tenant_id, ro.owner_id, ro.name, \
     ro.description, ro.permissions, ro.version, ro.created_at, ro.updated_at";

/// A custom (so not built-in) role from a row of [`ROLE_COLUMNS`].
pub fn role<R: SqlRow>(row: &R) -> StoreResult<Role> {
    Ok(Role {
        id: row.id(0)?,
        tenant: row.id(1)?,
        owner: row.id(2)?,
        name: string(row, 3)?,
        description: string(row, 4)?,
        permissions: names_at(row, 5)?,
        builtin: false,
        version: row.int(6)?,
        created_at: time_at(row, 7)?,
        updated_at: time_at(row, 8)?,
    })
}

/// The columns [`grant`] reads, in order, of `grants gr`.
pub const GRANT_COLUMNS: &str = "gr.id, gr.tenant_id, gr.subject_id, gr.subject_kind, \
     gr.role_id, gr.permissions, gr.scope_id, gr.scope_kind, gr.effect, gr.valid_from, \
     gr.valid_until, gr.version, gr.created_at, gr.updated_at";

/// A grant from a row of [`GRANT_COLUMNS`].
pub fn grant<R: SqlRow>(row: &R) -> StoreResult<Grant> {
    Ok(Grant {
        id: row.id(0)?,
        tenant: row.id(1)?,
        subject: row.id(2)?,
        subject_kind: enum_at(row, 3, SubjectKind::parse)?,
        role: row.opt_id(4)?,
        permissions: names_at(row, 5)?,
        scope: row.id(6)?,
        scope_kind: enum_at(row, 7, ScopeKind::parse)?,
        effect: enum_at(row, 8, Effect::parse)?,
        valid_from: opt_time_at(row, 9)?,
        valid_until: opt_time_at(row, 10)?,
        version: row.int(11)?,
        created_at: time_at(row, 12)?,
        updated_at: time_at(row, 13)?,
    })
}

/// An access change from a row of `version, kind, entity_id`.
pub fn access_change<R: SqlRow>(row: &R) -> StoreResult<(i64, AccessChange)> {
    Ok((
        row.int(0)?,
        AccessChange::new(enum_at(row, 1, AccessKind::parse)?, row.id(2)?),
    ))
}

/// A project member and since when, from a row of `user_id, created_at`.
pub fn member_since<R: SqlRow>(row: &R) -> StoreResult<(Id, Timestamp)> {
    Ok((row.id(0)?, time_at(row, 1)?))
}

/// Maps every row, stopping at the first that does not fit the model.
pub fn all<R, T>(rows: Vec<R>, map: fn(&R) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(map).collect()
}

/// A TOTP authenticator.
pub fn totp_factor<R: SqlRow>(row: &R) -> StoreResult<TotpFactor> {
    Ok(TotpFactor {
        user: row.id("user_id")?,
        secret: string(row, "secret")?,
        confirmed: row.flag("confirmed")?,
        last_step: row.opt_int("last_step")?,
        created_at: time_at(row, "created_at")?,
    })
}

/// A settings document.
pub fn setting<R: SqlRow>(row: &R) -> StoreResult<Setting> {
    Ok(Setting {
        scope: row.id("scope_id")?,
        name: string(row, "name")?,
        value: string(row, "value")?,
        updated_at: time_at(row, "updated_at")?,
    })
}

/// A user with email codes on, and since when.
pub fn email_factor<R: SqlRow>(row: &R) -> StoreResult<(Id, Timestamp)> {
    Ok((row.id("user_id")?, time_at(row, "created_at")?))
}

/// The columns [`access_user`] reads, in order, of `users u`.
pub const ACCESS_USER_COLUMNS: &str =
    "u.id, u.tenant_id, u.owner_id, u.status = 'active' AS active";

/// A user's access facts from a row of [`ACCESS_USER_COLUMNS`].
pub fn access_user<R: SqlRow>(row: &R) -> StoreResult<AccessUser> {
    Ok(AccessUser {
        id: row.id(0)?,
        tenant: row.id(1)?,
        owner: row.id(2)?,
        active: row.flag(3)?,
    })
}

/// A pair of ids from a row of two id columns (a link table's key).
pub fn id_pair<R: SqlRow>(row: &R) -> StoreResult<(Id, Id)> {
    Ok((row.id(0)?, row.id(1)?))
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
