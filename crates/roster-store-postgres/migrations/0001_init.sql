-- roster's schema. Conventions, shared with the SQLite store so that rows copy across unchanged:
--   ids         uuid (UUIDv7; uuid compares bytewise, so id order is time order, which paging
--               relies on)
--   timestamps  bigint microseconds since the Unix epoch
--   booleans    boolean
--   enums       text, the stable names of roster-core's enums
--   *_lc        lower-cased copies of searchable text, for case-insensitive uniqueness and prefix
--               search
-- Every text column that is unique, searched by prefix or compared by range is COLLATE "C":
-- comparisons and B-tree indexes are then bytewise, as in SQLite, whatever the database's
-- default collation. Prefix filters are ranges `col >= p AND col < successor(p)`, which are
-- only right under a bytewise order.
--
-- Constraint and index names matter: the store maps a unique violation to what was duplicated
-- by the name of the constraint (see src/error.rs).

-- The org tree. `path` holds the ids from the root down to and including the node, as
-- lower-case hyphenated UUIDs each followed by '/', so a subtree is every path with the
-- node's path as prefix.
CREATE TABLE org_nodes (
    id          uuid    NOT NULL CONSTRAINT org_nodes_pkey PRIMARY KEY,
    kind        text    NOT NULL,
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    parent_id   uuid    NULL REFERENCES org_nodes (id),
    tenant_id   uuid    NOT NULL,
    path        text    COLLATE "C" NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    -- Only the system root has no parent, and it has none.
    CONSTRAINT org_nodes_root_is_system CHECK ((parent_id IS NULL) = (kind = 'system'))
);
-- There is a single root (parentless nodes are all of kind 'system'). Created before the
-- sibling-name index so that a second root is reported as such even when its name is taken.
CREATE UNIQUE INDEX org_nodes_single_root ON org_nodes (kind) WHERE parent_id IS NULL;
-- Names are unique among siblings (the root's NULL parent counts as one value, like SQLite's
-- single root); this also serves lookups of a node's children.
CREATE UNIQUE INDEX org_nodes_parent_name ON org_nodes (parent_id, name_lc) NULLS NOT DISTINCT;
CREATE INDEX org_nodes_path ON org_nodes (path);
CREATE INDEX org_nodes_tenant_kind ON org_nodes (tenant_id, kind, id);

CREATE TABLE users (
    id                   uuid    NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    tenant_id            uuid    NOT NULL,
    owner_id             uuid    NOT NULL REFERENCES org_nodes (id),
    login                text    NOT NULL,
    login_lc             text    COLLATE "C" NOT NULL CONSTRAINT users_login_lc UNIQUE,
    email                text    NULL,
    email_lc             text    COLLATE "C" NULL,
    email_verified       boolean NOT NULL,
    first_name           text    NULL,
    last_name            text    NULL,
    first_lc             text    COLLATE "C" NULL,
    last_lc              text    COLLATE "C" NULL,
    phone                text    NULL,
    kind                 text    NOT NULL,
    status               text    NOT NULL,
    must_change_password boolean NOT NULL,
    password_hash        text    NULL,
    version              bigint  NOT NULL,
    created_at           bigint  NOT NULL,
    updated_at           bigint  NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id, id);
CREATE INDEX users_owner ON users (owner_id, id);
-- Login prefixes use the unique login_lc index (logins are unique install-wide).
CREATE INDEX users_tenant_email ON users (tenant_id, email_lc);
CREATE INDEX users_tenant_first ON users (tenant_id, first_lc);
CREATE INDEX users_tenant_last ON users (tenant_id, last_lc);

-- Groups (named like SQLite's table, where "groups" is a keyword). The owner is an org node,
-- or a project for project-level groups, so it carries no foreign key.
CREATE TABLE user_groups (
    id          uuid    NOT NULL CONSTRAINT user_groups_pkey PRIMARY KEY,
    tenant_id   uuid    NOT NULL,
    owner_id    uuid    NOT NULL,
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    description text    NOT NULL,
    level       text    NOT NULL,
    kind        text    NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);
CREATE UNIQUE INDEX user_groups_owner_name ON user_groups (owner_id, name_lc);
CREATE INDEX user_groups_tenant ON user_groups (tenant_id, id);
CREATE INDEX user_groups_owner_kind ON user_groups (owner_id, kind);

CREATE TABLE memberships (
    group_id    uuid    NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id     uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   uuid    NOT NULL,
    valid_from  bigint  NULL,
    valid_until bigint  NULL,
    created_at  bigint  NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id, group_id);

-- Bearer secrets, stored only as hashes.
CREATE TABLE tokens (
    id           uuid    NOT NULL CONSTRAINT tokens_pkey PRIMARY KEY,
    hash         bytea   NOT NULL CONSTRAINT tokens_hash UNIQUE,
    user_id      uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id    uuid    NOT NULL,
    kind         text    NOT NULL,
    name         text    NULL,
    created_at   bigint  NOT NULL,
    expires_at   bigint  NOT NULL,
    last_used_at bigint  NOT NULL
);
CREATE INDEX tokens_user_kind ON tokens (user_id, kind);

-- The audit log. No foreign keys: events outlive the users and objects they name. `action` is
-- searched by family prefix (`user.`), hence bytewise; `summary` is JSON text, as in SQLite.
CREATE TABLE audit_events (
    id              uuid    NOT NULL CONSTRAINT audit_events_pkey PRIMARY KEY,
    time            bigint  NOT NULL,
    tenant_id       uuid    NOT NULL,
    actor_id        uuid    NULL,
    impersonator_id uuid    NULL,
    action          text    COLLATE "C" NOT NULL,
    target_id       uuid    NULL,
    summary         text    NOT NULL,
    request_id      text    NULL,
    address         text    NULL
);
CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id);
