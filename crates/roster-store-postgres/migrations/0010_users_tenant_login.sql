-- Login prefixes searched within a tenant: the same (tenant_id, column) index as the other
-- search columns have. The unique login_lc index alone serves searches across every tenant,
-- but within one it would visit the matching logins of all tenants.
CREATE INDEX users_tenant_login ON users (tenant_id, login_lc);
