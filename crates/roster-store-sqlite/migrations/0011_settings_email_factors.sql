-- Settings documents (JSON): install-wide ones under the system root's id (outgoing email),
-- per-tenant ones under the tenant's (password and second-factor policy). They go with
-- their org node.
CREATE TABLE settings (
    scope_id   BLOB    NOT NULL REFERENCES org_nodes (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope_id, name)
) WITHOUT ROWID;

-- Users who receive a code by email as their second factor (their email is verified).
CREATE TABLE email_factors (
    user_id    BLOB    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
