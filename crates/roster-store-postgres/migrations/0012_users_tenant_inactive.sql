-- Users who are not active (disabled or pending), per tenant in id order: the few rows a
-- status filter other than 'active' looks for, which otherwise means walking every user of
-- the tenant. Partial, so active users (most of them) cost it nothing. A query uses it by
-- naming its condition, `status <> 'active'`, beside its own status filter.
CREATE INDEX users_tenant_inactive ON users (tenant_id, status, id) WHERE status <> 'active';
