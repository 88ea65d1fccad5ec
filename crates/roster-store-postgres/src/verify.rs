//! The consistency check: rules the schema alone does not enforce. The foreign-key checks are
//! kept although PostgreSQL enforces the keys: data loaded with triggers off (as bulk copies
//! between databases do, with `session_replication_role = replica`) skips that enforcement.

use crate::error::db_err;
use crate::rows::id_at;
use roster_core::access::builtin;
use roster_core::store::{RowCounts, StoreResult};
use roster_core::SYSTEM_NODE_ID;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

/// At most this many problems of one kind are listed; a last sentence says when there are more.
const MAX_PER_CHECK: usize = 100;

/// One rule: a query selecting the rows that break it, and the sentence for such a row.
struct Check {
    sql: String,
    describe: fn(&PgRow) -> StoreResult<String>,
}

fn check(sql: impl Into<String>, describe: fn(&PgRow) -> StoreResult<String>) -> Check {
    Check {
        sql: sql.into(),
        describe,
    }
}

fn text(row: &PgRow, column: &str) -> StoreResult<String> {
    row.try_get(column).map_err(db_err)
}

fn checks() -> Vec<Check> {
    let root = format!("'{SYSTEM_NODE_ID}'::uuid");
    let builtin_roles = builtin::builtin_roles()
        .iter()
        .map(|r| format!("'{}'::uuid", r.id))
        .collect::<Vec<_>>()
        .join(", ");
    // A uuid's text is lower-case and hyphenated, as org paths hold it.
    let node_path = "n.id::text";
    let mut checks = vec![
        check(
            format!("SELECT 1 AS missing WHERE NOT EXISTS (SELECT 1 FROM org_nodes WHERE id = {root})"),
            |_| Ok(format!("the system root org node {SYSTEM_NODE_ID} is missing")),
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n WHERE n.id = {root} \
                 AND (n.kind <> 'system' OR n.tenant_id <> n.id)"
            ),
            |r| {
                Ok(format!(
                    "the system root org node {} is not of kind system or not its own tenant",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            format!("SELECT n.id FROM org_nodes n WHERE n.parent_id IS NULL AND n.id <> {root}"),
            |r| {
                Ok(format!(
                    "org node {} has no parent but is not the system root",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT n.id, n.parent_id FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.parent_id IS NOT NULL AND p.id IS NULL",
            |r| {
                Ok(format!(
                    "org node {} has a missing parent {}",
                    id_at(r, "id")?,
                    id_at(r, "parent_id")?
                ))
            },
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n WHERE n.kind = 'tenant' \
                 AND (n.tenant_id <> n.id OR n.parent_id <> {root})"
            ),
            |r| {
                Ok(format!(
                    "tenant {} is not its own tenant or does not lie directly below the system root",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT n.id, n.tenant_id, p.tenant_id AS parent_tenant FROM org_nodes n \
             JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.kind NOT IN ('system', 'tenant') AND n.tenant_id <> p.tenant_id",
            |r| {
                Ok(format!(
                    "org node {} lies in tenant {} but its parent lies in tenant {}",
                    id_at(r, "id")?,
                    id_at(r, "tenant_id")?,
                    id_at(r, "parent_tenant")?
                ))
            },
        ),
        check(
            "SELECT n.id FROM org_nodes n JOIN org_nodes p ON p.id = n.parent_id \
             WHERE n.kind = 'customer' AND p.kind NOT IN ('tenant', 'customer')",
            |r| {
                Ok(format!(
                    "customer {} does not lie below a tenant or customer",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            format!(
                "SELECT n.id FROM org_nodes n LEFT JOIN org_nodes p ON p.id = n.parent_id \
                 WHERE n.path <> COALESCE(p.path, '') || {node_path} || '/'"
            ),
            |r| {
                Ok(format!(
                    "org node {} has a path that does not extend its parent's",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT u.id, u.owner_id FROM users u LEFT JOIN org_nodes o ON o.id = u.owner_id \
             WHERE o.id IS NULL",
            |r| {
                Ok(format!(
                    "user {} is owned by a missing org node {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT u.id, u.tenant_id, o.tenant_id AS owner_tenant FROM users u \
             JOIN org_nodes o ON o.id = u.owner_id WHERE u.tenant_id <> o.tenant_id",
            |r| {
                Ok(format!(
                    "user {} lies in tenant {} but their owner lies in tenant {}",
                    id_at(r, "id")?,
                    id_at(r, "tenant_id")?,
                    id_at(r, "owner_tenant")?
                ))
            },
        ),
        check(
            "SELECT g.id, g.owner_id FROM user_groups g LEFT JOIN org_nodes o ON o.id = g.owner_id \
             WHERE g.level = 'org' AND o.id IS NULL",
            |r| {
                Ok(format!(
                    "group {} is owned by a missing org node {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT g.id, g.tenant_id, o.tenant_id AS owner_tenant FROM user_groups g \
             JOIN org_nodes o ON o.id = g.owner_id \
             WHERE g.level = 'org' AND g.tenant_id <> o.tenant_id",
            |r| {
                Ok(format!(
                    "group {} lies in tenant {} but its owner lies in tenant {}",
                    id_at(r, "id")?,
                    id_at(r, "tenant_id")?,
                    id_at(r, "owner_tenant")?
                ))
            },
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m LEFT JOIN users u ON u.id = m.user_id \
             WHERE u.id IS NULL",
            |r| {
                Ok(format!(
                    "a membership of group {} names a missing user {}",
                    id_at(r, "group_id")?,
                    id_at(r, "user_id")?
                ))
            },
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m \
             LEFT JOIN user_groups g ON g.id = m.group_id WHERE g.id IS NULL",
            |r| {
                Ok(format!(
                    "a membership of user {} names a missing group {}",
                    id_at(r, "user_id")?,
                    id_at(r, "group_id")?
                ))
            },
        ),
        check(
            "SELECT m.group_id, m.user_id FROM memberships m \
             JOIN users u ON u.id = m.user_id JOIN user_groups g ON g.id = m.group_id \
             WHERE g.tenant_id <> u.tenant_id OR g.tenant_id <> m.tenant_id",
            |r| {
                Ok(format!(
                    "the membership of user {} in group {} crosses tenants",
                    id_at(r, "user_id")?,
                    id_at(r, "group_id")?
                ))
            },
        ),
        check(
            "SELECT t.id, t.user_id FROM tokens t LEFT JOIN users u ON u.id = t.user_id \
             WHERE u.id IS NULL",
            |r| {
                Ok(format!(
                    "token {} belongs to a missing user {}",
                    id_at(r, "id")?,
                    id_at(r, "user_id")?
                ))
            },
        ),
        check(
            "SELECT t.id FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.tenant_id <> u.tenant_id",
            |r| {
                Ok(format!(
                    "token {} lies in another tenant than its user",
                    id_at(r, "id")?
                ))
            },
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
            |r| {
                Ok(format!(
                    "{} {} ({}) has no {} group",
                    text(r, "kind")?,
                    id_at(r, "id")?,
                    text(r, "name")?,
                    text(r, "group_kind")?
                ))
            },
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
            |r| {
                Ok(format!(
                    "resource {} is owned by a missing org node or project {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT r.id FROM resources r \
             LEFT JOIN org_nodes o ON o.id = r.owner_id LEFT JOIN projects p ON p.id = r.owner_id \
             WHERE COALESCE(o.tenant_id, p.tenant_id) <> r.tenant_id",
            |r| {
                Ok(format!(
                    "resource {} lies in another tenant than its owner",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT rg.id, rg.owner_id FROM resource_groups rg \
             LEFT JOIN org_nodes o ON o.id = rg.owner_id LEFT JOIN projects p ON p.id = rg.owner_id \
             WHERE o.id IS NULL AND p.id IS NULL",
            |r| {
                Ok(format!(
                    "resource group {} is owned by a missing org node or project {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT rg.id FROM resource_groups rg \
             LEFT JOIN org_nodes o ON o.id = rg.owner_id LEFT JOIN projects p ON p.id = rg.owner_id \
             WHERE COALESCE(o.tenant_id, p.tenant_id) <> rg.tenant_id",
            |r| {
                Ok(format!(
                    "resource group {} lies in another tenant than its owner",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT m.group_id, m.resource_id FROM resource_group_members m \
             LEFT JOIN resource_groups rg ON rg.id = m.group_id \
             LEFT JOIN resources r ON r.id = m.resource_id WHERE rg.id IS NULL OR r.id IS NULL",
            |r| {
                Ok(format!(
                    "the membership of resource {} in resource group {} names a missing row",
                    id_at(r, "resource_id")?,
                    id_at(r, "group_id")?
                ))
            },
        ),
        check(
            "SELECT m.group_id, m.resource_id FROM resource_group_members m \
             JOIN resource_groups rg ON rg.id = m.group_id JOIN resources r ON r.id = m.resource_id \
             WHERE rg.tenant_id <> r.tenant_id",
            |r| {
                Ok(format!(
                    "the membership of resource {} in resource group {} crosses tenants",
                    id_at(r, "resource_id")?,
                    id_at(r, "group_id")?
                ))
            },
        ),
        check(
            "SELECT p.id, p.owner_id FROM projects p LEFT JOIN org_nodes o ON o.id = p.owner_id \
             WHERE o.id IS NULL",
            |r| {
                Ok(format!(
                    "project {} is owned by a missing org node {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT p.id FROM projects p JOIN org_nodes o ON o.id = p.owner_id \
             WHERE p.tenant_id <> o.tenant_id",
            |r| {
                Ok(format!(
                    "project {} lies in another tenant than its owner",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT g.id, g.owner_id FROM user_groups g LEFT JOIN projects p ON p.id = g.owner_id \
             WHERE g.level = 'project' AND (p.id IS NULL OR p.tenant_id <> g.tenant_id)",
            |r| {
                Ok(format!(
                    "project-level group {} is owned by a missing project, or one of another \
                     tenant, {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT m.project_id, m.user_id FROM project_members m \
             LEFT JOIN projects p ON p.id = m.project_id LEFT JOIN users u ON u.id = m.user_id \
             WHERE p.id IS NULL OR u.id IS NULL",
            |r| {
                Ok(format!(
                    "the membership of user {} in project {} names a missing row",
                    id_at(r, "user_id")?,
                    id_at(r, "project_id")?
                ))
            },
        ),
        check(
            "SELECT m.project_id, m.user_id FROM project_members m \
             JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id \
             WHERE p.tenant_id <> u.tenant_id",
            |r| {
                Ok(format!(
                    "the membership of user {} in project {} crosses tenants",
                    id_at(r, "user_id")?,
                    id_at(r, "project_id")?
                ))
            },
        ),
        check(
            "SELECT a.project_id, a.group_id FROM project_groups a \
             LEFT JOIN projects p ON p.id = a.project_id LEFT JOIN user_groups g ON g.id = a.group_id \
             WHERE p.id IS NULL OR g.id IS NULL",
            |r| {
                Ok(format!(
                    "the attachment of group {} to project {} names a missing row",
                    id_at(r, "group_id")?,
                    id_at(r, "project_id")?
                ))
            },
        ),
        check(
            "SELECT a.project_id, a.group_id FROM project_groups a \
             JOIN projects p ON p.id = a.project_id JOIN user_groups g ON g.id = a.group_id \
             WHERE g.level <> 'org' OR g.tenant_id <> p.tenant_id",
            |r| {
                Ok(format!(
                    "group {} is attached to project {} but is not an org-level group of its \
                     tenant",
                    id_at(r, "group_id")?,
                    id_at(r, "project_id")?
                ))
            },
        ),
        check(
            "SELECT ro.id, ro.owner_id FROM roles ro LEFT JOIN org_nodes o ON o.id = ro.owner_id \
             WHERE o.id IS NULL OR o.tenant_id <> ro.tenant_id",
            |r| {
                Ok(format!(
                    "role {} is owned by a missing org node, or one of another tenant, {}",
                    id_at(r, "id")?,
                    id_at(r, "owner_id")?
                ))
            },
        ),
        check(
            "SELECT gr.id FROM grants gr WHERE gr.subject_kind NOT IN ('user', 'group') \
             OR gr.scope_kind NOT IN ('node', 'project', 'resource_group', 'resource') \
             OR gr.effect NOT IN ('allow', 'deny')",
            |r| {
                Ok(format!(
                    "grant {} has an unknown subject kind, scope kind or effect",
                    id_at(r, "id")?
                ))
            },
        ),
        check(
            "SELECT gr.id, gr.subject_kind, gr.subject_id FROM grants gr \
             LEFT JOIN users u ON gr.subject_kind = 'user' AND u.id = gr.subject_id \
             LEFT JOIN user_groups g ON gr.subject_kind = 'group' AND g.id = gr.subject_id \
             WHERE gr.subject_kind IN ('user', 'group') AND u.id IS NULL AND g.id IS NULL",
            |r| {
                Ok(format!(
                    "grant {} is given to a missing {} {}",
                    id_at(r, "id")?,
                    text(r, "subject_kind")?,
                    id_at(r, "subject_id")?
                ))
            },
        ),
        check(
            format!("SELECT gr.id, gr.scope_kind, gr.scope_id \
                     FROM grants gr {GRANT_SCOPE_JOINS} \
                     WHERE gr.scope_kind IN ('node', 'project', 'resource_group', 'resource') \
                     AND {GRANT_SCOPE_TENANT} IS NULL"),
            |r| {
                Ok(format!(
                    "grant {} is held on a missing {} {}",
                    id_at(r, "id")?,
                    text(r, "scope_kind")?,
                    id_at(r, "scope_id")?
                ))
            },
        ),
        check(
            format!("SELECT gr.id, gr.scope_kind, gr.scope_id FROM grants gr {GRANT_SCOPE_JOINS} \
                     WHERE {GRANT_SCOPE_TENANT} <> gr.tenant_id"),
            |r| {
                Ok(format!(
                    "grant {} lies in another tenant than its scope, {} {}",
                    id_at(r, "id")?,
                    text(r, "scope_kind")?,
                    id_at(r, "scope_id")?
                ))
            },
        ),
        check(
            format!(
                "SELECT gr.id, gr.role_id FROM grants gr WHERE gr.role_id IS NOT NULL \
                 AND gr.role_id NOT IN ({builtin_roles}) \
                 AND NOT EXISTS (SELECT 1 FROM roles ro WHERE ro.id = gr.role_id)"
            ),
            |r| {
                Ok(format!(
                    "grant {} is of a missing role {}",
                    id_at(r, "id")?,
                    id_at(r, "role_id")?
                ))
            },
        ),
        check(
            "SELECT 1 AS missing WHERE NOT EXISTS (SELECT 1 FROM access_version WHERE id = 1)",
            |_| Ok("the access change log has no version row".to_owned()),
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

/// Everything wrong with the stored data, one sentence each.
pub(crate) async fn problems(conn: &mut PgConnection) -> StoreResult<Vec<String>> {
    let mut problems = Vec::new();
    for check in checks() {
        let rows = sqlx::query(&format!("{} LIMIT {}", check.sql, MAX_PER_CHECK + 1))
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        for row in rows.iter().take(MAX_PER_CHECK) {
            problems.push((check.describe)(row)?);
        }
        if rows.len() > MAX_PER_CHECK {
            problems.push(format!(
                "more problems like the last one exist; only {MAX_PER_CHECK} are listed"
            ));
        }
    }
    Ok(problems)
}

/// How many rows each table holds.
pub(crate) async fn row_counts(conn: &mut PgConnection) -> StoreResult<RowCounts> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM org_nodes) AS org_nodes, \
                (SELECT count(*) FROM users) AS users, \
                (SELECT count(*) FROM user_groups) AS groups, \
                (SELECT count(*) FROM memberships) AS memberships, \
                (SELECT count(*) FROM tokens) AS tokens, \
                (SELECT count(*) FROM audit_events) AS audit_events",
    )
    .fetch_one(conn)
    .await
    .map_err(db_err)?;
    let n = |column: &str| -> StoreResult<u64> {
        let n: i64 = row.try_get(column).map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(RowCounts {
        org_nodes: n("org_nodes")?,
        users: n("users")?,
        groups: n("groups")?,
        memberships: n("memberships")?,
        tokens: n("tokens")?,
        audit_events: n("audit_events")?,
    })
}
