//! Pieces of `WHERE` clauses shared by the list queries: tenant scope, prefix ranges, id lists
//! and paging.

use crate::rows::blob;
use roster_core::model::{OwnedQuery, UserStatus};
use roster_core::page::PageReq;
use roster_core::store::TenantScope;
use roster_core::Id;
use sqlx::{QueryBuilder, Sqlite};

/// Above this many ids, an id list is bound as one JSON array instead of one parameter each.
const MAX_BOUND_IDS: usize = 500;

/// Adds `AND <column> = tenant` unless the scope is every tenant.
pub(crate) fn scope(q: &mut QueryBuilder<'_, Sqlite>, column: &str, scope: TenantScope) {
    if let TenantScope::Tenant(t) = scope {
        q.push(format_args!(" AND {column} = ")).push_bind(blob(t));
    }
}

/// Adds `AND <column> = id`.
pub(crate) fn id_eq(q: &mut QueryBuilder<'_, Sqlite>, column: &str, id: Id) {
    q.push(format_args!(" AND {column} = ")).push_bind(blob(id));
}

/// Adds `AND <column> = value`.
pub(crate) fn text_eq(q: &mut QueryBuilder<'_, Sqlite>, column: &str, value: &str) {
    q.push(format_args!(" AND {column} = "))
        .push_bind(value.to_owned());
}

/// Adds `AND <column> = status` for a user's status. For a status other than active it adds
/// the condition of the partial index `users_tenant_inactive` as well: the planner uses a
/// partial index only for a query that names its condition, and without it a filter on a rare
/// status walks every user of the tenant.
pub(crate) fn user_status(q: &mut QueryBuilder<'_, Sqlite>, column: &str, status: UserStatus) {
    text_eq(q, column, status.as_str());
    if status != UserStatus::Active {
        q.push(format_args!(" AND {column} <> 'active'"));
    }
}

/// Adds `AND <column> IN (ids)`; the caller handles an empty list (SQL has no empty `IN`).
pub(crate) fn id_in(q: &mut QueryBuilder<'_, Sqlite>, column: &str, ids: &[Id]) {
    q.push(format_args!(" AND {column} IN ("));
    if ids.len() <= MAX_BOUND_IDS {
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(blob(*id));
        }
    } else {
        let hex: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
        q.push("SELECT unhex(value) FROM json_each(")
            .push_bind(format!("[\"{}\"]", hex.join("\",\"")))
            .push(")");
    }
    q.push(")");
}

/// Adds `AND <column> starts with prefix`, as a range so that an index on the column serves it.
pub(crate) fn prefix(q: &mut QueryBuilder<'_, Sqlite>, column: &str, prefix: &str) {
    q.push(" AND ");
    prefix_range(q, column, prefix);
}

/// Pushes `(<column> >= prefix AND <column> < successor)`, true for the values starting with
/// `prefix` (text compares bytewise, and UTF-8 keeps code point order).
pub(crate) fn prefix_range(q: &mut QueryBuilder<'_, Sqlite>, column: &str, prefix: &str) {
    q.push(format_args!("({column} >= "))
        .push_bind(prefix.to_owned());
    if let Some(upper) = successor(prefix) {
        q.push(format_args!(" AND {column} < ")).push_bind(upper);
    }
    q.push(")");
}

/// The least string greater than every string starting with `prefix`, if there is one.
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Adds the cursor condition `AND <key> > after` (or `<` going backwards).
pub(crate) fn after(q: &mut QueryBuilder<'_, Sqlite>, key: &str, page: PageReq, descending: bool) {
    if let Some(after) = page.after {
        let op = if descending { "<" } else { ">" };
        q.push(format_args!(" AND {key} {op} "))
            .push_bind(blob(after));
    }
}

/// Adds `ORDER BY <key> LIMIT n`.
pub(crate) fn order_limit(
    q: &mut QueryBuilder<'_, Sqlite>,
    key: &str,
    page: PageReq,
    descending: bool,
) {
    let dir = if descending { "DESC" } else { "ASC" };
    q.push(format_args!(" ORDER BY {key} {dir} LIMIT "))
        .push_bind(i64::from(page.limit));
}

/// Completes a list of owned objects (`<alias>.tenant_id`, `owner_id`, `name_lc`, `id`) by an
/// [`OwnedQuery`], with paging; `None` when the query can match nothing (an empty owner list).
pub(crate) fn owned<'a>(
    mut q: QueryBuilder<'a, Sqlite>,
    alias: &str,
    scope: TenantScope,
    query: &OwnedQuery,
    page: PageReq,
) -> Option<QueryBuilder<'a, Sqlite>> {
    if query.owner_in.as_ref().is_some_and(|ids| ids.is_empty()) {
        return None;
    }
    self::scope(&mut q, &format!("{alias}.tenant_id"), scope);
    if let Some(owner) = query.owner {
        id_eq(&mut q, &format!("{alias}.owner_id"), owner);
    }
    if let Some(owners) = &query.owner_in {
        id_in(&mut q, &format!("{alias}.owner_id"), owners);
    }
    if let Some(p) = &query.name_prefix {
        prefix(&mut q, &format!("{alias}.name_lc"), p);
    }
    let key = format!("{alias}.id");
    after(&mut q, &key, page, false);
    order_limit(&mut q, &key, page, false);
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successor_bumps_the_last_char() {
        assert_eq!(successor("abc").as_deref(), Some("abd"));
        assert_eq!(successor("a/").as_deref(), Some("a0"));
        assert_eq!(successor("\u{d7ff}").as_deref(), Some("\u{e000}"));
        assert_eq!(successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(successor("\u{10ffff}"), None);
        assert_eq!(successor(""), None);
    }
}
