-- Settings documents (JSON): install-wide ones under the system root's id (outgoing email),
-- per-tenant ones under the tenant's (password and second-factor policy). They go with
-- their org node.
CREATE TABLE settings (
    scope_id   uuid    NOT NULL REFERENCES org_nodes (id) ON DELETE CASCADE,
    name       text    COLLATE "C" NOT NULL,
    value      text    NOT NULL,
    updated_at bigint  NOT NULL,
    CONSTRAINT settings_pkey PRIMARY KEY (scope_id, name)
);

-- Users who receive a code by email as their second factor (their email is verified).
CREATE TABLE email_factors (
    user_id    uuid    NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint  NOT NULL
);
