-- roster's schema. Conventions, shared with the PostgreSQL store where the types allow:
--   ids         UUIDv7 as 16-byte BLOBs (bytewise order is time order, which paging relies on)
--   timestamps  INTEGER microseconds since the Unix epoch
--   booleans    INTEGER 0/1
--   enums       TEXT, the stable names of roster-core's enums
--   *_lc        lower-cased copies of searchable text, for case-insensitive uniqueness and prefix search

-- The org tree. `path` holds the ids from the root down to and including the node, as
-- lower-case hyphenated UUIDs each followed by '/', so a subtree is every path with the
-- node's path as prefix.
CREATE TABLE org_nodes (
    id          BLOB    NOT NULL PRIMARY KEY,
    kind        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_lc     TEXT    NOT NULL,
    parent_id   BLOB    NULL REFERENCES org_nodes (id),
    tenant_id   BLOB    NOT NULL,
    path        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Only the system root has no parent, and it has none.
    CHECK ((parent_id IS NULL) = (kind = 'system'))
);
-- Names are unique among siblings; this also serves lookups of a node's children.
CREATE UNIQUE INDEX org_nodes_parent_name ON org_nodes (parent_id, name_lc);
-- There is a single root (parentless nodes are all of kind 'system').
CREATE UNIQUE INDEX org_nodes_single_root ON org_nodes (kind) WHERE parent_id IS NULL;
CREATE INDEX org_nodes_path ON org_nodes (path);
CREATE INDEX org_nodes_tenant_kind ON org_nodes (tenant_id, kind, id);

CREATE TABLE users (
    id                   BLOB    NOT NULL PRIMARY KEY,
    tenant_id            BLOB    NOT NULL,
    owner_id             BLOB    NOT NULL REFERENCES org_nodes (id),
    login                TEXT    NOT NULL,
    login_lc             TEXT    NOT NULL UNIQUE,
    email                TEXT    NULL,
    email_lc             TEXT    NULL,
    email_verified       INTEGER NOT NULL,
    first_name           TEXT    NULL,
    last_name            TEXT    NULL,
    first_lc             TEXT    NULL,
    last_lc              TEXT    NULL,
    phone                TEXT    NULL,
    kind                 TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL,
    password_hash        TEXT    NULL,
    version              INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, id);
CREATE INDEX users_owner ON users (owner_id, id);
-- Login prefixes use the unique login_lc index (logins are unique install-wide).
CREATE INDEX users_tenant_email ON users (tenant_id, email_lc);
CREATE INDEX users_tenant_first ON users (tenant_id, first_lc);
CREATE INDEX users_tenant_last ON users (tenant_id, last_lc);

-- Groups ("groups" is a keyword). The owner is an org node, or a project for project-level
-- groups, so it carries no foreign key.
CREATE TABLE user_groups (
    id          BLOB    NOT NULL PRIMARY KEY,
    tenant_id   BLOB    NOT NULL,
    owner_id    BLOB    NOT NULL,
    name        TEXT    NOT NULL,
    name_lc     TEXT    NOT NULL,
    description TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_groups_owner_name ON user_groups (owner_id, name_lc);
CREATE INDEX user_groups_tenant ON user_groups (tenant_id, id);
CREATE INDEX user_groups_owner_kind ON user_groups (owner_id, kind);

CREATE TABLE memberships (
    group_id    BLOB    NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   BLOB    NOT NULL,
    valid_from  INTEGER NULL,
    valid_until INTEGER NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID; -- the key is the table: one B-tree fewer per membership
CREATE INDEX memberships_user ON memberships (user_id, group_id);

-- Bearer secrets, stored only as hashes.
CREATE TABLE tokens (
    id           BLOB    NOT NULL PRIMARY KEY,
    hash         BLOB    NOT NULL UNIQUE,
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id    BLOB    NOT NULL,
    kind         TEXT    NOT NULL,
    name         TEXT    NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);
CREATE INDEX tokens_user_kind ON tokens (user_id, kind);

-- The audit log. No foreign keys: events outlive the users and objects they name.
CREATE TABLE audit_events (
    id              BLOB    NOT NULL PRIMARY KEY,
    time            INTEGER NOT NULL,
    tenant_id       BLOB    NOT NULL,
    actor_id        BLOB    NULL,
    impersonator_id BLOB    NULL,
    action          TEXT    NOT NULL,
    target_id       BLOB    NULL,
    summary         TEXT    NOT NULL,
    request_id      TEXT    NULL,
    address         TEXT    NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id);
