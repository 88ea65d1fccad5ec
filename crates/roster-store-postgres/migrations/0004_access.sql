-- The access model: resource types, resources and resource groups, projects, roles and
-- grants, and the access change log. Conventions as in 0001_init.sql (constraint names
-- matter: src/error.rs maps them); lists of names (actions, permissions) are JSON text
-- arrays, as in SQLite.
--
-- Owners of resources and resource groups (an org node or a project), and the subject (a user
-- or a group), scope (a node, project, resource group or resource) and role (custom or
-- built-in, and built-in roles are not stored) of a grant are polymorphic, so they carry no
-- foreign keys; the consistency check looks after them.

-- Types the application registers, install-wide (roster's own types are built in, not stored).
-- Names, types and change kinds compare bytewise, as in SQLite, so that lists order alike.
CREATE TABLE resource_types (
    name        text    COLLATE "C" NOT NULL PRIMARY KEY,
    actions     text    NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);

CREATE TABLE resources (
    id          uuid    NOT NULL PRIMARY KEY,
    tenant_id   uuid    NOT NULL,
    owner_id    uuid    NOT NULL,
    rtype       text    COLLATE "C" NOT NULL,
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);
-- Names are unique per owner and type; this also serves owner filters and name prefixes.
CREATE UNIQUE INDEX resources_owner_type_name ON resources (owner_id, rtype, name_lc);
CREATE INDEX resources_tenant ON resources (tenant_id, id);
CREATE INDEX resources_type ON resources (rtype, id);

CREATE TABLE resource_groups (
    id          uuid    NOT NULL PRIMARY KEY,
    tenant_id   uuid    NOT NULL,
    owner_id    uuid    NOT NULL,
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    description text    NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);
CREATE UNIQUE INDEX resource_groups_owner_name ON resource_groups (owner_id, name_lc);
CREATE INDEX resource_groups_tenant ON resource_groups (tenant_id, id);

CREATE TABLE resource_group_members (
    group_id    uuid    NOT NULL REFERENCES resource_groups (id) ON DELETE CASCADE,
    resource_id uuid    NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, resource_id)
);
CREATE INDEX resource_group_members_resource ON resource_group_members (resource_id, group_id);

-- Projects are owned by org nodes.
CREATE TABLE projects (
    id          uuid    NOT NULL PRIMARY KEY,
    tenant_id   uuid    NOT NULL,
    owner_id    uuid    NOT NULL REFERENCES org_nodes (id),
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    description text    NOT NULL,
    exclusive   boolean NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);
CREATE UNIQUE INDEX projects_owner_name ON projects (owner_id, name_lc);
CREATE INDEX projects_tenant ON projects (tenant_id, id);

-- Org-level groups attached to projects.
CREATE TABLE project_groups (
    project_id  uuid    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    group_id    uuid    NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    created_at  bigint  NOT NULL,
    PRIMARY KEY (project_id, group_id)
);
CREATE INDEX project_groups_group ON project_groups (group_id, project_id);

CREATE TABLE project_members (
    project_id  uuid    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  bigint  NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id, project_id);

-- Custom roles, owned by org nodes (built-in roles are constants of roster-core).
CREATE TABLE roles (
    id          uuid    NOT NULL PRIMARY KEY,
    tenant_id   uuid    NOT NULL,
    owner_id    uuid    NOT NULL REFERENCES org_nodes (id),
    name        text    NOT NULL,
    name_lc     text    COLLATE "C" NOT NULL,
    description text    NOT NULL,
    permissions text    NOT NULL,
    version     bigint  NOT NULL,
    created_at  bigint  NOT NULL,
    updated_at  bigint  NOT NULL
);
CREATE UNIQUE INDEX roles_owner_name ON roles (owner_id, name_lc);
CREATE INDEX roles_tenant ON roles (tenant_id, id);

CREATE TABLE grants (
    id           uuid    NOT NULL PRIMARY KEY,
    tenant_id    uuid    NOT NULL,
    subject_id   uuid    NOT NULL,
    subject_kind text    NOT NULL,
    role_id      uuid    NULL,
    permissions  text    NOT NULL,
    scope_id     uuid    NOT NULL,
    scope_kind   text    NOT NULL,
    effect       text    NOT NULL,
    valid_from   bigint  NULL,
    valid_until  bigint  NULL,
    version      bigint  NOT NULL,
    created_at   bigint  NOT NULL,
    updated_at   bigint  NOT NULL
);
CREATE INDEX grants_subject_scope ON grants (subject_id, scope_id);
CREATE INDEX grants_scope ON grants (scope_id);
CREATE INDEX grants_role ON grants (role_id);
CREATE INDEX grants_tenant ON grants (tenant_id, id);

-- The access change log: one version counter, bumped by every transaction that changes access
-- facts, and the objects each version touched.
CREATE TABLE access_version (
    id      integer NOT NULL PRIMARY KEY CHECK (id = 1),
    version bigint  NOT NULL
);
INSERT INTO access_version (id, version) VALUES (1, 0);

CREATE TABLE access_changes (
    version   bigint  NOT NULL,
    kind      text    COLLATE "C" NOT NULL,
    entity_id uuid    NOT NULL,
    PRIMARY KEY (version, kind, entity_id)
);

-- Predefined groups created before this migration get the grants the service now gives new
-- ones: Administrators hold the built-in Administrator role on their node, Users the built-in
-- Read only role.
INSERT INTO grants (id, tenant_id, subject_id, subject_kind, role_id, permissions, scope_id,
                    scope_kind, effect, valid_from, valid_until, version, created_at, updated_at)
SELECT gen_random_uuid(), g.tenant_id, g.id, 'group',
       CASE g.kind WHEN 'administrators' THEN '00000000-0000-7000-8000-000000000101'::uuid
                   ELSE '00000000-0000-7000-8000-000000000102'::uuid END,
       '[]', g.owner_id, 'node', 'allow', NULL, NULL, 1,
       (extract(epoch FROM now()) * 1000000)::bigint,
       (extract(epoch FROM now()) * 1000000)::bigint
FROM user_groups g
WHERE g.kind IN ('administrators', 'users');
