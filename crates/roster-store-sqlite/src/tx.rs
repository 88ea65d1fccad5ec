//! [`SqliteTx`]: the contract's transaction on one lent connection.

use crate::connections::Lease;
use crate::error::db_err;
use crate::{
    audit, changes, factors, grants, groups, org, projects, resources, settings, snapshot,
    throttle, tokens, users, verify,
};
use async_trait::async_trait;
use roster_core::model::*;
use roster_core::page::PageReq;
use roster_core::store::{RowCounts, StoreResult, StoreTx, TenantScope};
use roster_core::{Id, Timestamp};
use sqlx::sqlite::SqliteTransactionManager;
use sqlx::TransactionManager;
use std::borrow::Cow;

/// One transaction. Those from [`crate::SqliteStore::read`] run on a `query_only` connection,
/// so their writes fail with [`roster_core::store::StoreError::Other`]. Dropping it without
/// `commit` rolls back: the `ROLLBACK` is queued on the connection, ahead of whatever its next
/// borrower sends.
pub(crate) struct SqliteTx {
    conn: Lease,
    /// Begun and neither committed nor rolled back.
    open: bool,
}

impl SqliteTx {
    /// Begins a transaction on `conn` with `statement` (`BEGIN` when `None`). The transaction
    /// counts as open from the start: a caller that stops waiting after `BEGIN` was sent, or a
    /// `BEGIN` that fails, leaves a `ROLLBACK` queued behind it (which does nothing when no
    /// transaction began), so the connection never goes back to its set inside one.
    pub(crate) async fn begin(conn: Lease, statement: Option<&'static str>) -> StoreResult<Self> {
        let mut tx = SqliteTx { conn, open: true };
        SqliteTransactionManager::begin(&mut tx.conn, statement.map(Cow::Borrowed))
            .await
            .map_err(db_err)?;
        Ok(tx)
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            SqliteTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

#[async_trait]
impl StoreTx for SqliteTx {
    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        SqliteTransactionManager::commit(&mut self.conn)
            .await
            .map_err(db_err)?;
        self.open = false;
        Ok(())
    }

    async fn insert_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
        org::insert(&mut self.conn, node).await
    }
    async fn update_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
        org::update(&mut self.conn, node).await
    }
    async fn delete_org_node(&mut self, id: Id) -> StoreResult<()> {
        org::delete(&mut self.conn, id).await
    }
    async fn get_org_node(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<OrgNode>> {
        org::get(&mut self.conn, scope, id).await
    }
    async fn list_org_nodes(
        &mut self,
        scope: TenantScope,
        query: &OrgQuery,
        page: PageReq,
    ) -> StoreResult<Vec<OrgNode>> {
        org::list(&mut self.conn, scope, query, page).await
    }
    async fn subtree_ids(&mut self, node: Id) -> StoreResult<Vec<Id>> {
        org::subtree_ids(&mut self.conn, node).await
    }
    async fn org_node_in_use(&mut self, id: Id) -> StoreResult<bool> {
        org::in_use(&mut self.conn, id).await
    }

    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> StoreResult<()> {
        users::insert(&mut self.conn, user, password_hash).await
    }
    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()> {
        users::insert_many(&mut self.conn, users).await
    }
    async fn update_user(&mut self, user: &User) -> StoreResult<()> {
        users::update(&mut self.conn, user).await
    }
    async fn delete_user(&mut self, id: Id) -> StoreResult<()> {
        users::delete(&mut self.conn, id).await
    }
    async fn get_user(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<User>> {
        users::get(&mut self.conn, scope, id).await
    }
    async fn get_user_by_login(&mut self, login: &str) -> StoreResult<Option<User>> {
        users::get_by_login(&mut self.conn, login).await
    }
    async fn login_record(&mut self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        users::login_record(&mut self.conn, login).await
    }
    async fn list_users(
        &mut self,
        scope: TenantScope,
        query: &UserQuery,
        page: PageReq,
    ) -> StoreResult<Vec<User>> {
        users::list(&mut self.conn, scope, query, page).await
    }
    async fn password_hash(&mut self, user: Id) -> StoreResult<Option<String>> {
        users::password_hash(&mut self.conn, user).await
    }
    async fn set_password_hash(&mut self, user: Id, hash: Option<&str>) -> StoreResult<()> {
        users::set_password_hash(&mut self.conn, user, hash).await
    }

    async fn insert_group(&mut self, group: &Group) -> StoreResult<()> {
        groups::insert(&mut self.conn, group).await
    }
    async fn update_group(&mut self, group: &Group) -> StoreResult<()> {
        groups::update(&mut self.conn, group).await
    }
    async fn delete_group(&mut self, id: Id) -> StoreResult<()> {
        groups::delete(&mut self.conn, id).await
    }
    async fn get_group(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Group>> {
        groups::get(&mut self.conn, scope, id).await
    }
    async fn predefined_group(&mut self, owner: Id, kind: GroupKind) -> StoreResult<Option<Group>> {
        groups::predefined(&mut self.conn, owner, kind).await
    }
    async fn list_groups(
        &mut self,
        scope: TenantScope,
        query: &GroupQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Group>> {
        groups::list(&mut self.conn, scope, query, page).await
    }
    async fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        groups::upsert_membership(&mut self.conn, m).await
    }
    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()> {
        groups::upsert_memberships(&mut self.conn, ms).await
    }
    async fn delete_membership(&mut self, group: Id, user: Id) -> StoreResult<bool> {
        groups::delete_membership(&mut self.conn, group, user).await
    }
    async fn get_membership(&mut self, group: Id, user: Id) -> StoreResult<Option<Membership>> {
        groups::get_membership(&mut self.conn, group, user).await
    }
    async fn memberships_of_user(&mut self, user: Id) -> StoreResult<Vec<Membership>> {
        groups::memberships_of_user(&mut self.conn, user).await
    }
    async fn list_memberships(&mut self, group: Id, page: PageReq) -> StoreResult<Vec<Membership>> {
        groups::list_memberships(&mut self.conn, group, page).await
    }

    async fn insert_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()> {
        tokens::insert(&mut self.conn, token, hash, false).await
    }
    async fn insert_sign_in_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()> {
        tokens::insert(&mut self.conn, token, hash, true).await
    }
    async fn get_token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRecord>> {
        tokens::get_by_hash(&mut self.conn, hash).await
    }
    async fn touch_token(&mut self, id: Id, at: Timestamp) -> StoreResult<()> {
        tokens::touch(&mut self.conn, id, at).await
    }
    async fn delete_token(&mut self, id: Id) -> StoreResult<bool> {
        tokens::delete(&mut self.conn, id).await
    }
    async fn delete_user_tokens(&mut self, user: Id, kinds: &[TokenKind]) -> StoreResult<u64> {
        tokens::delete_of_user(&mut self.conn, user, kinds).await
    }
    async fn list_user_tokens(
        &mut self,
        user: Id,
        kind: TokenKind,
    ) -> StoreResult<Vec<TokenRecord>> {
        tokens::list_of_user(&mut self.conn, user, kind).await
    }

    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()> {
        audit::insert(&mut self.conn, event).await
    }
    async fn list_audit(
        &mut self,
        scope: TenantScope,
        query: &AuditQuery,
        page: PageReq,
    ) -> StoreResult<Vec<AuditEvent>> {
        audit::list(&mut self.conn, scope, query, page).await
    }

    async fn put_totp(&mut self, factor: &TotpFactor) -> StoreResult<()> {
        factors::put(&mut self.conn, factor).await
    }
    async fn get_totp(&mut self, user: Id) -> StoreResult<Option<TotpFactor>> {
        factors::get(&mut self.conn, user).await
    }
    async fn confirm_totp(&mut self, user: Id) -> StoreResult<bool> {
        factors::confirm(&mut self.conn, user).await
    }
    async fn use_totp_step(&mut self, user: Id, step: i64) -> StoreResult<bool> {
        factors::use_step(&mut self.conn, user, step).await
    }
    async fn delete_second_factors(&mut self, user: Id) -> StoreResult<bool> {
        factors::delete(&mut self.conn, user).await
    }
    async fn replace_recovery_codes(&mut self, user: Id, hashes: &[[u8; 32]]) -> StoreResult<()> {
        factors::replace_codes(&mut self.conn, user, hashes).await
    }
    async fn use_recovery_code(&mut self, user: Id, hash: &[u8; 32]) -> StoreResult<bool> {
        factors::use_code(&mut self.conn, user, hash).await
    }
    async fn recovery_codes_left(&mut self, user: Id) -> StoreResult<i64> {
        factors::codes_left(&mut self.conn, user).await
    }
    async fn list_second_factors(
        &mut self,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<(TotpFactor, Vec<[u8; 32]>)>> {
        factors::list_all(&mut self.conn, after, limit).await
    }

    async fn put_email_factor(&mut self, user: Id, at: Timestamp) -> StoreResult<()> {
        settings::put_email_factor(&mut self.conn, user, at).await
    }
    async fn has_email_factor(&mut self, user: Id) -> StoreResult<bool> {
        settings::has_email_factor(&mut self.conn, user).await
    }
    async fn delete_email_factor(&mut self, user: Id) -> StoreResult<bool> {
        settings::delete_email_factor(&mut self.conn, user).await
    }
    async fn sign_in_state(
        &mut self,
        user: Id,
        scope: Id,
        policy: &str,
    ) -> StoreResult<SignInState> {
        settings::sign_in_state(&mut self.conn, user, scope, policy).await
    }
    async fn list_email_factors(
        &mut self,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<(Id, Timestamp)>> {
        settings::list_email_factors(&mut self.conn, after, limit).await
    }

    async fn get_setting(&mut self, scope: Id, name: &str) -> StoreResult<Option<Setting>> {
        settings::get(&mut self.conn, scope, name).await
    }
    async fn put_setting(&mut self, setting: &Setting) -> StoreResult<()> {
        settings::put(&mut self.conn, setting).await
    }
    async fn delete_setting(&mut self, scope: Id, name: &str) -> StoreResult<bool> {
        settings::delete(&mut self.conn, scope, name).await
    }
    async fn list_all_settings(&mut self) -> StoreResult<Vec<Setting>> {
        settings::list_all(&mut self.conn).await
    }

    async fn count_login_attempt(
        &mut self,
        key: &str,
        at: Timestamp,
        window_start: Timestamp,
    ) -> StoreResult<i64> {
        throttle::count_attempt(&mut self.conn, key, at, window_start).await
    }
    async fn login_attempts(&mut self, key: &str, window_start: Timestamp) -> StoreResult<i64> {
        throttle::attempts(&mut self.conn, key, window_start).await
    }
    async fn clear_login_attempts(&mut self, key: &str) -> StoreResult<()> {
        throttle::clear(&mut self.conn, key).await
    }

    async fn upsert_resource_type(&mut self, t: &ResourceType) -> StoreResult<()> {
        resources::upsert_type(&mut self.conn, t).await
    }
    async fn get_resource_type(&mut self, name: &str) -> StoreResult<Option<ResourceType>> {
        resources::get_type(&mut self.conn, name).await
    }
    async fn list_resource_types(&mut self) -> StoreResult<Vec<ResourceType>> {
        resources::list_types(&mut self.conn).await
    }
    async fn delete_resource_type(&mut self, name: &str) -> StoreResult<bool> {
        resources::delete_type(&mut self.conn, name).await
    }
    async fn resource_type_in_use(&mut self, name: &str) -> StoreResult<bool> {
        resources::type_in_use(&mut self.conn, name).await
    }

    async fn insert_resource(&mut self, r: &Resource) -> StoreResult<()> {
        resources::insert(&mut self.conn, r).await
    }
    async fn update_resource(&mut self, r: &Resource) -> StoreResult<()> {
        resources::update(&mut self.conn, r).await
    }
    async fn delete_resource(&mut self, id: Id) -> StoreResult<()> {
        resources::delete(&mut self.conn, id).await
    }
    async fn get_resource(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Resource>> {
        resources::get(&mut self.conn, scope, id).await
    }
    async fn list_resources(
        &mut self,
        scope: TenantScope,
        query: &ResourceQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Resource>> {
        resources::list(&mut self.conn, scope, query, page).await
    }
    async fn insert_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()> {
        resources::insert_group(&mut self.conn, g).await
    }
    async fn update_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()> {
        resources::update_group(&mut self.conn, g).await
    }
    async fn delete_resource_group(&mut self, id: Id) -> StoreResult<()> {
        resources::delete_group(&mut self.conn, id).await
    }
    async fn get_resource_group(
        &mut self,
        scope: TenantScope,
        id: Id,
    ) -> StoreResult<Option<ResourceGroup>> {
        resources::get_group(&mut self.conn, scope, id).await
    }
    async fn list_resource_groups(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<ResourceGroup>> {
        resources::list_groups(&mut self.conn, scope, query, page).await
    }
    async fn add_resource_group_member(&mut self, group: Id, resource: Id) -> StoreResult<bool> {
        resources::add_member(&mut self.conn, group, resource).await
    }
    async fn remove_resource_group_member(&mut self, group: Id, resource: Id) -> StoreResult<bool> {
        resources::remove_member(&mut self.conn, group, resource).await
    }
    async fn resource_groups_of(&mut self, resource: Id) -> StoreResult<Vec<Id>> {
        resources::groups_of(&mut self.conn, resource).await
    }

    async fn insert_project(&mut self, p: &Project) -> StoreResult<()> {
        projects::insert(&mut self.conn, p).await
    }
    async fn update_project(&mut self, p: &Project) -> StoreResult<()> {
        projects::update(&mut self.conn, p).await
    }
    async fn delete_project(&mut self, id: Id) -> StoreResult<()> {
        projects::delete(&mut self.conn, id).await
    }
    async fn get_project(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Project>> {
        projects::get(&mut self.conn, scope, id).await
    }
    async fn list_projects(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Project>> {
        projects::list(&mut self.conn, scope, query, page).await
    }
    async fn attach_group(&mut self, project: Id, group: Id, at: Timestamp) -> StoreResult<bool> {
        projects::attach_group(&mut self.conn, project, group, at).await
    }
    async fn detach_group(&mut self, project: Id, group: Id) -> StoreResult<bool> {
        projects::detach_group(&mut self.conn, project, group).await
    }
    async fn attached_groups(&mut self, project: Id) -> StoreResult<Vec<Id>> {
        projects::attached_groups(&mut self.conn, project).await
    }
    async fn projects_of_group(&mut self, group: Id) -> StoreResult<Vec<Id>> {
        projects::projects_of_group(&mut self.conn, group).await
    }
    async fn add_project_member(
        &mut self,
        project: Id,
        user: Id,
        at: Timestamp,
    ) -> StoreResult<bool> {
        projects::add_member(&mut self.conn, project, user, at).await
    }
    async fn remove_project_member(&mut self, project: Id, user: Id) -> StoreResult<bool> {
        projects::remove_member(&mut self.conn, project, user).await
    }
    async fn list_project_members(
        &mut self,
        project: Id,
        page: PageReq,
    ) -> StoreResult<Vec<(Id, Timestamp)>> {
        projects::list_members(&mut self.conn, project, page).await
    }
    async fn projects_of_user(&mut self, user: Id) -> StoreResult<Vec<Id>> {
        projects::projects_of_user(&mut self.conn, user).await
    }

    async fn insert_role(&mut self, r: &Role) -> StoreResult<()> {
        grants::insert_role(&mut self.conn, r).await
    }
    async fn update_role(&mut self, r: &Role) -> StoreResult<()> {
        grants::update_role(&mut self.conn, r).await
    }
    async fn delete_role(&mut self, id: Id) -> StoreResult<()> {
        grants::delete_role(&mut self.conn, id).await
    }
    async fn get_role(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Role>> {
        grants::get_role(&mut self.conn, scope, id).await
    }
    async fn list_roles(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Role>> {
        grants::list_roles(&mut self.conn, scope, query, page).await
    }
    async fn role_in_use(&mut self, id: Id) -> StoreResult<bool> {
        grants::role_in_use(&mut self.conn, id).await
    }
    async fn insert_grant(&mut self, g: &Grant) -> StoreResult<()> {
        grants::insert(&mut self.conn, g).await
    }
    async fn update_grant(&mut self, g: &Grant) -> StoreResult<()> {
        grants::update(&mut self.conn, g).await
    }
    async fn delete_grant(&mut self, id: Id) -> StoreResult<bool> {
        grants::delete(&mut self.conn, id).await
    }
    async fn delete_grants_between(&mut self, subject: Id, scope: Id) -> StoreResult<Vec<Id>> {
        grants::delete_between(&mut self.conn, subject, scope).await
    }
    async fn get_grant(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Grant>> {
        grants::get(&mut self.conn, scope, id).await
    }
    async fn list_grants(
        &mut self,
        scope: TenantScope,
        query: &GrantQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Grant>> {
        grants::list(&mut self.conn, scope, query, page).await
    }

    async fn record_access_changes(&mut self, changes: &[AccessChange]) -> StoreResult<i64> {
        changes::record(&mut self.conn, changes).await
    }
    async fn access_version(&mut self) -> StoreResult<i64> {
        changes::version(&mut self.conn).await
    }
    async fn access_changes_since(
        &mut self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AccessChange)>> {
        changes::since(&mut self.conn, after, limit).await
    }
    async fn access_snapshot(&mut self) -> StoreResult<AccessSnapshot> {
        snapshot::snapshot(&mut self.conn).await
    }

    async fn row_counts(&mut self) -> StoreResult<RowCounts> {
        verify::row_counts(&mut self.conn).await
    }
    async fn list_users_with_hashes(
        &mut self,
        page: PageReq,
    ) -> StoreResult<Vec<(User, Option<String>)>> {
        users::list_with_hashes(&mut self.conn, page).await
    }
    async fn list_all_memberships(
        &mut self,
        after: Option<(Id, Id)>,
        limit: u32,
    ) -> StoreResult<Vec<Membership>> {
        groups::list_all_memberships(&mut self.conn, after, limit).await
    }
    async fn list_all_tokens(&mut self, page: PageReq) -> StoreResult<Vec<(TokenRecord, Vec<u8>)>> {
        tokens::list_all(&mut self.conn, page).await
    }
    async fn insert_audit_events(&mut self, events: &[AuditEvent]) -> StoreResult<()> {
        audit::insert_many(&mut self.conn, events).await
    }

    async fn consistency_problems(&mut self) -> StoreResult<Vec<String>> {
        verify::problems(&mut self.conn).await
    }
}
