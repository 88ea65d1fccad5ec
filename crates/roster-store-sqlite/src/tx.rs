//! [`SqliteTx`]: the contract's transaction over one sqlx transaction.

use crate::error::db_err;
use crate::{audit, groups, org, throttle, tokens, users, verify};
use async_trait::async_trait;
use roster_core::model::*;
use roster_core::page::PageReq;
use roster_core::store::{RowCounts, StoreResult, StoreTx, TenantScope};
use roster_core::{Id, Timestamp};
use sqlx::{Sqlite, Transaction};

/// One transaction. Those from [`crate::SqliteStore::read`] run on a `query_only` connection,
/// so their writes fail with [`roster_core::store::StoreError::Other`]. Dropping it without
/// `commit` rolls back.
pub(crate) struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteTx {
    /// Wraps a begun transaction.
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        SqliteTx { tx }
    }
}

#[async_trait]
impl StoreTx for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_err)
    }

    async fn insert_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
        org::insert(&mut self.tx, node).await
    }
    async fn update_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
        org::update(&mut self.tx, node).await
    }
    async fn delete_org_node(&mut self, id: Id) -> StoreResult<()> {
        org::delete(&mut self.tx, id).await
    }
    async fn get_org_node(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<OrgNode>> {
        org::get(&mut self.tx, scope, id).await
    }
    async fn list_org_nodes(
        &mut self,
        scope: TenantScope,
        query: &OrgQuery,
        page: PageReq,
    ) -> StoreResult<Vec<OrgNode>> {
        org::list(&mut self.tx, scope, query, page).await
    }
    async fn subtree_ids(&mut self, node: Id) -> StoreResult<Vec<Id>> {
        org::subtree_ids(&mut self.tx, node).await
    }
    async fn org_node_in_use(&mut self, id: Id) -> StoreResult<bool> {
        org::in_use(&mut self.tx, id).await
    }

    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> StoreResult<()> {
        users::insert(&mut self.tx, user, password_hash).await
    }
    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()> {
        users::insert_many(&mut self.tx, users).await
    }
    async fn update_user(&mut self, user: &User) -> StoreResult<()> {
        users::update(&mut self.tx, user).await
    }
    async fn delete_user(&mut self, id: Id) -> StoreResult<()> {
        users::delete(&mut self.tx, id).await
    }
    async fn get_user(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<User>> {
        users::get(&mut self.tx, scope, id).await
    }
    async fn get_user_by_login(&mut self, login: &str) -> StoreResult<Option<User>> {
        users::get_by_login(&mut self.tx, login).await
    }
    async fn list_users(
        &mut self,
        scope: TenantScope,
        query: &UserQuery,
        page: PageReq,
    ) -> StoreResult<Vec<User>> {
        users::list(&mut self.tx, scope, query, page).await
    }
    async fn password_hash(&mut self, user: Id) -> StoreResult<Option<String>> {
        users::password_hash(&mut self.tx, user).await
    }
    async fn set_password_hash(&mut self, user: Id, hash: Option<&str>) -> StoreResult<()> {
        users::set_password_hash(&mut self.tx, user, hash).await
    }

    async fn insert_group(&mut self, group: &Group) -> StoreResult<()> {
        groups::insert(&mut self.tx, group).await
    }
    async fn update_group(&mut self, group: &Group) -> StoreResult<()> {
        groups::update(&mut self.tx, group).await
    }
    async fn delete_group(&mut self, id: Id) -> StoreResult<()> {
        groups::delete(&mut self.tx, id).await
    }
    async fn get_group(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Group>> {
        groups::get(&mut self.tx, scope, id).await
    }
    async fn predefined_group(&mut self, owner: Id, kind: GroupKind) -> StoreResult<Option<Group>> {
        groups::predefined(&mut self.tx, owner, kind).await
    }
    async fn list_groups(
        &mut self,
        scope: TenantScope,
        query: &GroupQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Group>> {
        groups::list(&mut self.tx, scope, query, page).await
    }
    async fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
        groups::upsert_membership(&mut self.tx, m).await
    }
    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()> {
        groups::upsert_memberships(&mut self.tx, ms).await
    }
    async fn delete_membership(&mut self, group: Id, user: Id) -> StoreResult<bool> {
        groups::delete_membership(&mut self.tx, group, user).await
    }
    async fn get_membership(&mut self, group: Id, user: Id) -> StoreResult<Option<Membership>> {
        groups::get_membership(&mut self.tx, group, user).await
    }
    async fn memberships_of_user(&mut self, user: Id) -> StoreResult<Vec<Membership>> {
        groups::memberships_of_user(&mut self.tx, user).await
    }
    async fn list_memberships(&mut self, group: Id, page: PageReq) -> StoreResult<Vec<Membership>> {
        groups::list_memberships(&mut self.tx, group, page).await
    }

    async fn insert_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()> {
        tokens::insert(&mut self.tx, token, hash).await
    }
    async fn get_token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRecord>> {
        tokens::get_by_hash(&mut self.tx, hash).await
    }
    async fn touch_token(&mut self, id: Id, at: Timestamp) -> StoreResult<()> {
        tokens::touch(&mut self.tx, id, at).await
    }
    async fn delete_token(&mut self, id: Id) -> StoreResult<bool> {
        tokens::delete(&mut self.tx, id).await
    }
    async fn delete_user_tokens(&mut self, user: Id, kinds: &[TokenKind]) -> StoreResult<u64> {
        tokens::delete_of_user(&mut self.tx, user, kinds).await
    }
    async fn list_user_tokens(
        &mut self,
        user: Id,
        kind: TokenKind,
    ) -> StoreResult<Vec<TokenRecord>> {
        tokens::list_of_user(&mut self.tx, user, kind).await
    }

    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()> {
        audit::insert(&mut self.tx, event).await
    }
    async fn list_audit(
        &mut self,
        scope: TenantScope,
        query: &AuditQuery,
        page: PageReq,
    ) -> StoreResult<Vec<AuditEvent>> {
        audit::list(&mut self.tx, scope, query, page).await
    }

    async fn count_login_attempt(
        &mut self,
        key: &str,
        at: Timestamp,
        window_start: Timestamp,
    ) -> StoreResult<i64> {
        throttle::count_attempt(&mut self.tx, key, at, window_start).await
    }
    async fn login_attempts(&mut self, key: &str, window_start: Timestamp) -> StoreResult<i64> {
        throttle::attempts(&mut self.tx, key, window_start).await
    }
    async fn clear_login_attempts(&mut self, key: &str) -> StoreResult<()> {
        throttle::clear(&mut self.tx, key).await
    }

    async fn row_counts(&mut self) -> StoreResult<RowCounts> {
        verify::row_counts(&mut self.tx).await
    }
    async fn list_users_with_hashes(
        &mut self,
        page: PageReq,
    ) -> StoreResult<Vec<(User, Option<String>)>> {
        users::list_with_hashes(&mut self.tx, page).await
    }
    async fn list_all_memberships(
        &mut self,
        after: Option<(Id, Id)>,
        limit: u32,
    ) -> StoreResult<Vec<Membership>> {
        groups::list_all_memberships(&mut self.tx, after, limit).await
    }
    async fn list_all_tokens(&mut self, page: PageReq) -> StoreResult<Vec<(TokenRecord, Vec<u8>)>> {
        tokens::list_all(&mut self.tx, page).await
    }
    async fn insert_audit_events(&mut self, events: &[AuditEvent]) -> StoreResult<()> {
        audit::insert_many(&mut self.tx, events).await
    }

    async fn consistency_problems(&mut self) -> StoreResult<Vec<String>> {
        verify::problems(&mut self.tx).await
    }
}
