//! The consistency rules that `roster verify` checks beyond what the schema enforces, as
//! queries selecting the rows that break them, in the SQL both stores speak. A store runs
//! each [`Check`]'s query and hands the rows back to it for sentences; the SQLite store adds
//! SQLite's own foreign-key and integrity checks.

use crate::row::SqlRow;
use roster_core::access::builtin;
use roster_core::store::{RowCounts, StoreResult};
use roster_core::{Id, SYSTEM_NODE_ID};
use Value::{Id as IdOf, Text};

/// At most this many problems of one kind are listed; a last sentence says when there are more.
pub const MAX_PER_CHECK: usize = 100;

/// How a store writes what the rules need in its SQL.
pub struct Dialect {
    /// An id as a literal.
    pub id_literal: fn(Id) -> String,
    /// The lower-case hyphenated text of an id column, as org paths hold it.
    pub id_text: fn(&str) -> String,
}

/// A value a rule's sentence names, read from the row that broke it.
#[derive(Clone, Copy)]
pub enum Value {
    /// An id column.
    Id(&'static str),
    /// A text column.
    Text(&'static str),
}
/// One rule: a query selecting the rows that break it, and the sentence for such a row, whose
/// `{}` are filled with the row's `values` in order.
pub struct Check {
    sql: String,
    sentence: String,
    values: &'static [Value],
}

fn check(sql: impl Into<String>, sentence: impl Into<String>, values: &'static [Value]) -> Check {
    Check {
        sql: sql.into(),
        sentence: sentence.into(),
        values,
    }
}

impl Check {
    /// The rule's query, asking for one row more than is listed.
    pub fn query(&self) -> String {
        format!("{} LIMIT {}", self.sql, MAX_PER_CHECK + 1)
    }

    /// The sentence for one row that breaks the rule.
    fn describe<R: SqlRow>(&self, row: &R) -> StoreResult<String> {
        let mut out = String::with_capacity(self.sentence.len() + 40 * self.values.len());
        let mut parts = self.sentence.split("{}");
        out.push_str(parts.next().unwrap_or_default());
        for (value, part) in self.values.iter().zip(parts) {
            match *value {
                IdOf(column) => out.push_str(&row.id(column)?.to_string()),
                Text(column) => out.push_str(row.text(column)?),
            }
            out.push_str(part);
        }
        Ok(out)
    }

    /// Adds a sentence for each of the rows [`Check::query`] selected to `problems`, and one
    /// more when there were too many to list.
    pub fn report<R: SqlRow>(&self, rows: &[R], problems: &mut Vec<String>) -> StoreResult<()> {
        for row in rows.iter().take(MAX_PER_CHECK) {
            problems.push(self.describe(row)?);
        }
        if rows.len() > MAX_PER_CHECK {
            problems.push(format!(
                "more problems like the last one exist; only {MAX_PER_CHECK} are listed"
            ));
        }
        Ok(())
    }
}

/// Every rule, in the dialect's SQL.
pub fn checks(dialect: &Dialect) -> Vec<Check> {
    let root = (dialect.id_literal)(SYSTEM_NODE_ID);
    let builtin_roles = builtin::builtin_roles()
        .iter()
        .map(|r| (dialect.id_literal)(r.id))
        .collect::<Vec<_>>()
        .join(", ");
    let node_path = (dialect.id_text)("n.id");
    let mut checks = vec![
        check(
            format!(
                "SELECT 1 AS missing \
                 WHERE NOT EXISTS (SELECT 1 FROM org_nodes WHERE id = {root})"
            ),
            format!("the system root org node {SYSTEM_NODE_ID} is missing"),
            &[],
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n WHERE n.id = {root} \
                 AND (n.kind <> 'system' OR n.tenant_id <> n.id)"
            ),
            "the system root org node {} is not of kind system or not its own tenant",
            &[IdOf("id")],
        ),
        check(
            format!("SELECT n.id FROM org_nodes n WHERE n.parent_id IS NULL AND n.id <> {root}"),
            "org node {} has no parent but is not the system root",
            &[IdOf("id")],
        ),
        check(
            "SELECT n.id, n.parent_id FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.parent_id IS NOT NULL AND p.id IS NULL",
            "org node {} has a missing parent {}",
            &[IdOf("id"), IdOf("parent_id")],
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n WHERE n.kind = 'tenant' \
                 AND (n.tenant_id <> n.id OR n.parent_id <> {root})"
            ),
            "tenant {} is not its own tenant or does not lie directly below the system root",
            &[IdOf("id")],
        ),
        check(
            "SELECT n.id, n.tenant_id, p.tenant_id AS parent_tenant FROM org_nodes n \
             JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.kind NOT IN ('system', 'tenant') AND n.tenant_id <> p.tenant_id",
            "org node {} lies in tenant {} but its parent lies in tenant {}",
            &[IdOf("id"), IdOf("tenant_id"), IdOf("parent_tenant")],
        ),
        check(
            "SELECT n.id FROM org_nodes n JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.kind = 'customer' AND p.kind NOT IN ('tenant', 'customer')",
            "customer {} does not lie below a tenant or customer",
            &[IdOf("id")],
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id \
                 WHERE n.path <> COALESCE(p.path, '') || {node_path} || '/'"
            ),
            "org node {} has a path that does not extend its parent's",
            &[IdOf("id")],
        ),
        check(
            "SELECT u.id, u.owner_id FROM users u LEFT JOIN org_nodes o ON o.id = u.owner_id \
             WHERE o.id IS NULL",
            "user {} is owned by a missing org node {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT u.id, u.tenant_id, o.tenant_id AS owner_tenant FROM users u \
             JOIN org_nodes o ON o.id = u.owner_id WHERE u.tenant_id <> o.tenant_id",
            "user {} lies in tenant {} but their owner lies in tenant {}",
            &[IdOf("id"), IdOf("tenant_id"), IdOf("owner_tenant")],
        ),
        check(
            "SELECT g.id, g.owner_id FROM user_groups g LEFT JOIN org_nodes o ON o.id = g.owner_id \
             WHERE g.level = 'org' AND o.id IS NULL",
            "group {} is owned by a missing org node {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT g.id, g.tenant_id, o.tenant_id AS owner_tenant FROM user_groups g \
             JOIN org_nodes o ON o.id = g.owner_id \
             WHERE g.level = 'org' AND g.tenant_id <> o.tenant_id",
            "group {} lies in tenant {} but its owner lies in tenant {}",
            &[IdOf("id"), IdOf("tenant_id"), IdOf("owner_tenant")],
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m LEFT JOIN users u ON u.id = m.user_id \
             WHERE u.id IS NULL",
            "a membership of group {} names a missing user {}",
            &[IdOf("group_id"), IdOf("user_id")],
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m \
             LEFT JOIN user_groups g ON g.id = m.group_id WHERE g.id IS NULL",
            "a membership of user {} names a missing group {}",
            &[IdOf("user_id"), IdOf("group_id")],
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m \
             JOIN users u ON u.id = m.user_id JOIN user_groups g ON g.id = m.group_id \
             WHERE g.tenant_id <> u.tenant_id OR g.tenant_id <> m.tenant_id",
            "the membership of user {} in group {} crosses tenants",
            &[IdOf("user_id"), IdOf("group_id")],
        ),
        check(
            "SELECT t.id, t.user_id FROM tokens t LEFT JOIN users u ON u.id = t.user_id \
             WHERE u.id IS NULL",
            "token {} belongs to a missing user {}",
            &[IdOf("id"), IdOf("user_id")],
        ),
        check(
            "SELECT t.id FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.tenant_id <> u.tenant_id",
            "token {} lies in another tenant than its user",
            &[IdOf("id")],
        ),
    ];
    checks.extend(access_checks(&builtin_roles));
    for (node_kind, group_kind) in [
        ("tenant", "administrators"),
        ("tenant", "users"),
        ("tenant", "all"),
        ("customer", "administrators"),
        ("customer", "users"),
    ] {
        checks.push(check(
            format!(
                "SELECT n.id, n.kind, n.name, '{group_kind}' AS group_kind FROM org_nodes n \
                 WHERE n.kind = '{node_kind}' AND NOT EXISTS (SELECT 1 FROM user_groups g \
                 WHERE g.owner_id = n.id AND g.kind = '{group_kind}')"
            ),
            "{} {} ({}) has no {} group",
            &[Text("kind"), IdOf("id"), Text("name"), Text("group_kind")],
        ));
    }
    checks
}

/// The access model's rules: owners, links and grants name rows that exist, in the same
/// tenant. `builtin_roles` is the SQL list of the built-in roles' ids, which are not stored.
fn access_checks(builtin_roles: &str) -> Vec<Check> {
    vec![
        check(
            "SELECT r.id, r.owner_id FROM resources r \
             LEFT JOIN org_nodes o ON o.id = r.owner_id LEFT JOIN projects p ON p.id = r.owner_id \
             WHERE o.id IS NULL AND p.id IS NULL",
            "resource {} is owned by a missing org node or project {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT r.id FROM resources r \
             LEFT JOIN org_nodes o ON o.id = r.owner_id LEFT JOIN projects p ON p.id = r.owner_id \
             WHERE COALESCE(o.tenant_id, p.tenant_id) <> r.tenant_id",
            "resource {} lies in another tenant than its owner",
            &[IdOf("id")],
        ),
        check(
            "SELECT rg.id, rg.owner_id FROM resource_groups rg \
             LEFT JOIN org_nodes o ON o.id = rg.owner_id LEFT JOIN projects p ON p.id = rg.owner_id \
             WHERE o.id IS NULL AND p.id IS NULL",
            "resource group {} is owned by a missing org node or project {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT rg.id FROM resource_groups rg \
             LEFT JOIN org_nodes o ON o.id = rg.owner_id LEFT JOIN projects p ON p.id = rg.owner_id \
             WHERE COALESCE(o.tenant_id, p.tenant_id) <> rg.tenant_id",
            "resource group {} lies in another tenant than its owner",
            &[IdOf("id")],
        ),
        check(
            "SELECT m.group_id, m.resource_id FROM resource_group_members m \
             LEFT JOIN resource_groups rg ON rg.id = m.group_id \
             LEFT JOIN resources r ON r.id = m.resource_id WHERE rg.id IS NULL OR r.id IS NULL",
            "the membership of resource {} in resource group {} names a missing row",
            &[IdOf("resource_id"), IdOf("group_id")],
        ),
        check(
            "SELECT m.group_id, m.resource_id FROM resource_group_members m \
             JOIN resource_groups rg ON rg.id = m.group_id JOIN resources r ON r.id = m.resource_id \
             WHERE rg.tenant_id <> r.tenant_id",
            "the membership of resource {} in resource group {} crosses tenants",
            &[IdOf("resource_id"), IdOf("group_id")],
        ),
        check(
            "SELECT p.id, p.owner_id FROM projects p LEFT JOIN org_nodes o ON o.id = p.owner_id \
             WHERE o.id IS NULL",
            "project {} is owned by a missing org node {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT p.id FROM projects p JOIN org_nodes o ON o.id = p.owner_id \
             WHERE p.tenant_id <> o.tenant_id",
            "project {} lies in another tenant than its owner",
            &[IdOf("id")],
        ),
        check(
            "SELECT g.id, g.owner_id FROM user_groups g LEFT JOIN projects p ON p.id = g.owner_id \
             WHERE g.level = 'project' AND (p.id IS NULL OR p.tenant_id <> g.tenant_id)",
            "project-level group {} is owned by a missing project, or one of another \
             tenant, {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT m.project_id, m.user_id FROM project_members m \
             LEFT JOIN projects p ON p.id = m.project_id LEFT JOIN users u ON u.id = m.user_id \
             WHERE p.id IS NULL OR u.id IS NULL",
            "the membership of user {} in project {} names a missing row",
            &[IdOf("user_id"), IdOf("project_id")],
        ),
        check(
            "SELECT m.project_id, m.user_id FROM project_members m \
             JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id \
             WHERE p.tenant_id <> u.tenant_id",
            "the membership of user {} in project {} crosses tenants",
            &[IdOf("user_id"), IdOf("project_id")],
        ),
        check(
            "SELECT a.project_id, a.group_id FROM project_groups a \
             LEFT JOIN projects p ON p.id = a.project_id LEFT JOIN user_groups g ON g.id = a.group_id \
             WHERE p.id IS NULL OR g.id IS NULL",
            "the attachment of group {} to project {} names a missing row",
            &[IdOf("group_id"), IdOf("project_id")],
        ),
        check(
            "SELECT a.project_id, a.group_id FROM project_groups a \
             JOIN projects p ON p.id = a.project_id JOIN user_groups g ON g.id = a.group_id \
             WHERE g.level <> 'org' OR g.tenant_id <> p.tenant_id",
            "group {} is attached to project {} but is not an org-level group of its \
             tenant",
            &[IdOf("group_id"), IdOf("project_id")],
        ),
        check(
            "SELECT ro.id, ro.owner_id FROM roles ro LEFT JOIN org_nodes o ON o.id = ro.owner_id \
             WHERE o.id IS NULL OR o.tenant_id <> ro.tenant_id",
            "role {} is owned by a missing org node, or one of another tenant, {}",
            &[IdOf("id"), IdOf("owner_id")],
        ),
        check(
            "SELECT gr.id FROM grants gr WHERE gr.subject_kind NOT IN ('user', 'group') \
             OR gr.scope_kind NOT IN ('node', 'project', 'resource_group', 'resource') \
             OR gr.effect NOT IN ('allow', 'deny')",
            "grant {} has an unknown subject kind, scope kind or effect",
            &[IdOf("id")],
        ),
        check(
            "SELECT gr.id, gr.subject_kind, gr.subject_id FROM grants gr \
             LEFT JOIN users u ON gr.subject_kind = 'user' AND u.id = gr.subject_id \
             LEFT JOIN user_groups g ON gr.subject_kind = 'group' AND g.id = gr.subject_id \
             WHERE gr.subject_kind IN ('user', 'group') AND u.id IS NULL AND g.id IS NULL",
            "grant {} is given to a missing {} {}",
            &[IdOf("id"), Text("subject_kind"), IdOf("subject_id")],
        ),
        check(
            format!("SELECT gr.id, gr.scope_kind, gr.scope_id \
             FROM grants gr {GRANT_SCOPE_JOINS} \
             WHERE gr.scope_kind IN ('node', 'project', 'resource_group', 'resource') \
             AND {GRANT_SCOPE_TENANT} IS NULL"),
            "grant {} is held on a missing {} {}",
            &[IdOf("id"), Text("scope_kind"), IdOf("scope_id")],
        ),
        check(
            format!("SELECT gr.id, gr.scope_kind, gr.scope_id FROM grants gr {GRANT_SCOPE_JOINS} \
             WHERE {GRANT_SCOPE_TENANT} <> gr.tenant_id"),
            "grant {} lies in another tenant than its scope, {} {}",
            &[IdOf("id"), Text("scope_kind"), IdOf("scope_id")],
        ),
        check(
            format!(
                "SELECT gr.id, gr.role_id FROM grants gr WHERE gr.role_id IS NOT NULL \
                 AND gr.role_id NOT IN ({builtin_roles}) \
                 AND NOT EXISTS (SELECT 1 FROM roles ro WHERE ro.id = gr.role_id)"
            ),
            "grant {} is of a missing role {}",
            &[IdOf("id"), IdOf("role_id")],
        ),
        check(
            "SELECT 1 AS missing WHERE NOT EXISTS (SELECT 1 FROM access_version WHERE id = 1)",
            "the access change log has no version row",
            &[],
        ),
    ]
}

/// Joins each kind of grant scope to its row, for [`GRANT_SCOPE_TENANT`].
const GRANT_SCOPE_JOINS: &str = "\
    LEFT JOIN org_nodes sn ON gr.scope_kind = 'node' AND sn.id = gr.scope_id \
    LEFT JOIN projects sp ON gr.scope_kind = 'project' AND sp.id = gr.scope_id \
    LEFT JOIN resource_groups sg ON gr.scope_kind = 'resource_group' AND sg.id = gr.scope_id \
    LEFT JOIN resources sr ON gr.scope_kind = 'resource' AND sr.id = gr.scope_id";

/// The tenant of a grant's scope (NULL when the scope is missing), given [`GRANT_SCOPE_JOINS`].
const GRANT_SCOPE_TENANT: &str = "COALESCE(sn.tenant_id, sp.tenant_id, sg.tenant_id, sr.tenant_id)";

/// The query [`row_counts`] reads: how many rows each table holds.
pub const ROW_COUNTS: &str = "SELECT (SELECT count(*) FROM org_nodes) AS org_nodes, \
     (SELECT count(*) FROM users) AS users, \
     (SELECT count(*) FROM user_groups) AS groups, \
     (SELECT count(*) FROM memberships) AS memberships, \
     (SELECT count(*) FROM tokens) AS tokens, \
     (SELECT count(*) FROM audit_events) AS audit_events";

/// The table sizes from the row of [`ROW_COUNTS`].
pub fn row_counts<R: SqlRow>(row: &R) -> StoreResult<RowCounts> {
    let n = |column: &str| -> StoreResult<u64> { Ok(u64::try_from(row.int(column)?).unwrap_or(0)) };
    Ok(RowCounts {
        org_nodes: n("org_nodes")?,
        users: n("users")?,
        groups: n("groups")?,
        memberships: n("memberships")?,
        tokens: n("tokens")?,
        audit_events: n("audit_events")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentence_has_a_place_for_each_value() {
        let dialect = Dialect {
            id_literal: |id| format!("'{id}'"),
            id_text: |column| column.to_owned(),
        };
        for check in checks(&dialect) {
            assert_eq!(
                check.sentence.matches("{}").count(),
                check.values.len(),
                "{}",
                check.sentence
            );
        }
    }
}
