//! [`store_tx!`]: the contract's transaction, written once for both SQL stores. Every
//! method but `commit` hands its arguments to the store's function of the same subject
//! (`org::insert`, `users::list`, …), so the two stores' transactions differ only in how they
//! reach their connection and how they commit.

/// Implements `roster_core::store::StoreTx` for `$tx`, a store's transaction type with two
/// inherent methods: `db(&mut self)`, its connection, and `async fn finish(self: Box<Self>)
/// -> StoreResult<()>`, its commit. The store modules it calls (`audit`, `changes`,
/// `factors`, `grants`, `groups`, `org`, `projects`, `resources`, `settings`, `snapshot`,
/// `throttle`, `tokens`, `users`, `verify`) and the model's types are named as they are in
/// scope where it is used.
#[macro_export]
macro_rules! store_tx {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl roster_core::store::StoreTx for $tx {
            async fn commit(self: Box<Self>) -> StoreResult<()> {
                self.finish().await
            }

            async fn insert_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
                org::insert(self.db(), node).await
            }
            async fn update_org_node(&mut self, node: &OrgNode) -> StoreResult<()> {
                org::update(self.db(), node).await
            }
            async fn delete_org_node(&mut self, id: Id) -> StoreResult<()> {
                org::delete(self.db(), id).await
            }
            async fn get_org_node(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<OrgNode>> {
                org::get(self.db(), scope, id).await
            }
            async fn list_org_nodes(
                &mut self,
                scope: TenantScope,
                query: &OrgQuery,
                page: PageReq,
            ) -> StoreResult<Vec<OrgNode>> {
                org::list(self.db(), scope, query, page).await
            }
            async fn subtree_ids(&mut self, node: Id) -> StoreResult<Vec<Id>> {
                org::subtree_ids(self.db(), node).await
            }
            async fn org_node_in_use(&mut self, id: Id) -> StoreResult<bool> {
                org::in_use(self.db(), id).await
            }

            async fn insert_user(
                &mut self,
                user: &User,
                password_hash: Option<&str>,
            ) -> StoreResult<()> {
                users::insert(self.db(), user, password_hash).await
            }
            async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()> {
                users::insert_many(self.db(), users).await
            }
            async fn update_user(&mut self, user: &User) -> StoreResult<()> {
                users::update(self.db(), user).await
            }
            async fn delete_user(&mut self, id: Id) -> StoreResult<()> {
                users::delete(self.db(), id).await
            }
            async fn get_user(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<User>> {
                users::get(self.db(), scope, id).await
            }
            async fn get_user_by_login(&mut self, login: &str) -> StoreResult<Option<User>> {
                users::get_by_login(self.db(), login).await
            }
            async fn login_record(
                &mut self,
                login: &str,
            ) -> StoreResult<Option<(User, Option<String>)>> {
                users::login_record(self.db(), login).await
            }
            async fn list_users(
                &mut self,
                scope: TenantScope,
                query: &UserQuery,
                page: PageReq,
            ) -> StoreResult<Vec<User>> {
                users::list(self.db(), scope, query, page).await
            }
            async fn password_hash(&mut self, user: Id) -> StoreResult<Option<String>> {
                users::password_hash(self.db(), user).await
            }
            async fn set_password_hash(&mut self, user: Id, hash: Option<&str>) -> StoreResult<()> {
                users::set_password_hash(self.db(), user, hash).await
            }

            async fn insert_group(&mut self, group: &Group) -> StoreResult<()> {
                groups::insert(self.db(), group).await
            }
            async fn update_group(&mut self, group: &Group) -> StoreResult<()> {
                groups::update(self.db(), group).await
            }
            async fn delete_group(&mut self, id: Id) -> StoreResult<()> {
                groups::delete(self.db(), id).await
            }
            async fn get_group(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<Group>> {
                groups::get(self.db(), scope, id).await
            }
            async fn predefined_group(
                &mut self,
                owner: Id,
                kind: GroupKind,
            ) -> StoreResult<Option<Group>> {
                groups::predefined(self.db(), owner, kind).await
            }
            async fn list_groups(
                &mut self,
                scope: TenantScope,
                query: &GroupQuery,
                page: PageReq,
            ) -> StoreResult<Vec<Group>> {
                groups::list(self.db(), scope, query, page).await
            }
            async fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()> {
                groups::upsert_membership(self.db(), m).await
            }
            async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()> {
                groups::upsert_memberships(self.db(), ms).await
            }
            async fn delete_membership(&mut self, group: Id, user: Id) -> StoreResult<bool> {
                groups::delete_membership(self.db(), group, user).await
            }
            async fn get_membership(
                &mut self,
                group: Id,
                user: Id,
            ) -> StoreResult<Option<Membership>> {
                groups::get_membership(self.db(), group, user).await
            }
            async fn memberships_of_user(&mut self, user: Id) -> StoreResult<Vec<Membership>> {
                groups::memberships_of_user(self.db(), user).await
            }
            async fn list_memberships(
                &mut self,
                group: Id,
                page: PageReq,
            ) -> StoreResult<Vec<Membership>> {
                groups::list_memberships(self.db(), group, page).await
            }

            async fn insert_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()> {
                tokens::insert(self.db(), token, hash, false).await
            }
            async fn insert_sign_in_token(
                &mut self,
                token: &TokenRecord,
                hash: &[u8],
            ) -> StoreResult<()> {
                tokens::insert(self.db(), token, hash, true).await
            }
            async fn get_token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRecord>> {
                tokens::get_by_hash(self.db(), hash).await
            }
            async fn touch_token(&mut self, id: Id, at: Timestamp) -> StoreResult<()> {
                tokens::touch(self.db(), id, at).await
            }
            async fn delete_token(&mut self, id: Id) -> StoreResult<bool> {
                tokens::delete(self.db(), id).await
            }
            async fn delete_user_tokens(
                &mut self,
                user: Id,
                kinds: &[TokenKind],
            ) -> StoreResult<u64> {
                tokens::delete_of_user(self.db(), user, kinds).await
            }
            async fn list_user_tokens(
                &mut self,
                user: Id,
                kind: TokenKind,
            ) -> StoreResult<Vec<TokenRecord>> {
                tokens::list_of_user(self.db(), user, kind).await
            }

            async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()> {
                audit::insert(self.db(), event).await
            }
            async fn list_audit(
                &mut self,
                scope: TenantScope,
                query: &AuditQuery,
                page: PageReq,
            ) -> StoreResult<Vec<AuditEvent>> {
                audit::list(self.db(), scope, query, page).await
            }

            async fn put_totp(&mut self, factor: &TotpFactor) -> StoreResult<()> {
                factors::put(self.db(), factor).await
            }
            async fn get_totp(&mut self, user: Id) -> StoreResult<Option<TotpFactor>> {
                factors::get(self.db(), user).await
            }
            async fn confirm_totp(&mut self, user: Id) -> StoreResult<bool> {
                factors::confirm(self.db(), user).await
            }
            async fn use_totp_step(&mut self, user: Id, step: i64) -> StoreResult<bool> {
                factors::use_step(self.db(), user, step).await
            }
            async fn delete_second_factors(&mut self, user: Id) -> StoreResult<bool> {
                factors::delete(self.db(), user).await
            }
            async fn replace_recovery_codes(
                &mut self,
                user: Id,
                hashes: &[[u8; 32]],
            ) -> StoreResult<()> {
                factors::replace_codes(self.db(), user, hashes).await
            }
            async fn use_recovery_code(&mut self, user: Id, hash: &[u8; 32]) -> StoreResult<bool> {
                factors::use_code(self.db(), user, hash).await
            }
            async fn recovery_codes_left(&mut self, user: Id) -> StoreResult<i64> {
                factors::codes_left(self.db(), user).await
            }
            async fn list_second_factors(
                &mut self,
                after: Option<Id>,
                limit: u32,
            ) -> StoreResult<Vec<(TotpFactor, Vec<[u8; 32]>)>> {
                factors::list_all(self.db(), after, limit).await
            }

            async fn put_email_factor(&mut self, user: Id, at: Timestamp) -> StoreResult<()> {
                settings::put_email_factor(self.db(), user, at).await
            }
            async fn has_email_factor(&mut self, user: Id) -> StoreResult<bool> {
                settings::has_email_factor(self.db(), user).await
            }
            async fn delete_email_factor(&mut self, user: Id) -> StoreResult<bool> {
                settings::delete_email_factor(self.db(), user).await
            }
            async fn sign_in_state(
                &mut self,
                user: Id,
                scope: Id,
                policy: &str,
            ) -> StoreResult<SignInState> {
                settings::sign_in_state(self.db(), user, scope, policy).await
            }
            async fn list_email_factors(
                &mut self,
                after: Option<Id>,
                limit: u32,
            ) -> StoreResult<Vec<(Id, Timestamp)>> {
                settings::list_email_factors(self.db(), after, limit).await
            }

            async fn get_setting(&mut self, scope: Id, name: &str) -> StoreResult<Option<Setting>> {
                settings::get(self.db(), scope, name).await
            }
            async fn put_setting(&mut self, setting: &Setting) -> StoreResult<()> {
                settings::put(self.db(), setting).await
            }
            async fn delete_setting(&mut self, scope: Id, name: &str) -> StoreResult<bool> {
                settings::delete(self.db(), scope, name).await
            }
            async fn list_all_settings(&mut self) -> StoreResult<Vec<Setting>> {
                settings::list_all(self.db()).await
            }

            async fn count_login_attempt(
                &mut self,
                key: &str,
                at: Timestamp,
                window_start: Timestamp,
            ) -> StoreResult<i64> {
                throttle::count_attempt(self.db(), key, at, window_start).await
            }
            async fn login_attempts(
                &mut self,
                key: &str,
                window_start: Timestamp,
            ) -> StoreResult<i64> {
                throttle::attempts(self.db(), key, window_start).await
            }
            async fn clear_login_attempts(&mut self, key: &str) -> StoreResult<()> {
                throttle::clear(self.db(), key).await
            }

            async fn upsert_resource_type(&mut self, t: &ResourceType) -> StoreResult<()> {
                resources::upsert_type(self.db(), t).await
            }
            async fn get_resource_type(&mut self, name: &str) -> StoreResult<Option<ResourceType>> {
                resources::get_type(self.db(), name).await
            }
            async fn list_resource_types(&mut self) -> StoreResult<Vec<ResourceType>> {
                resources::list_types(self.db()).await
            }
            async fn delete_resource_type(&mut self, name: &str) -> StoreResult<bool> {
                resources::delete_type(self.db(), name).await
            }
            async fn resource_type_in_use(&mut self, name: &str) -> StoreResult<bool> {
                resources::type_in_use(self.db(), name).await
            }

            async fn insert_resource(&mut self, r: &Resource) -> StoreResult<()> {
                resources::insert(self.db(), r).await
            }
            async fn update_resource(&mut self, r: &Resource) -> StoreResult<()> {
                resources::update(self.db(), r).await
            }
            async fn delete_resource(&mut self, id: Id) -> StoreResult<()> {
                resources::delete(self.db(), id).await
            }
            async fn get_resource(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<Resource>> {
                resources::get(self.db(), scope, id).await
            }
            async fn list_resources(
                &mut self,
                scope: TenantScope,
                query: &ResourceQuery,
                page: PageReq,
            ) -> StoreResult<Vec<Resource>> {
                resources::list(self.db(), scope, query, page).await
            }
            async fn insert_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()> {
                resources::insert_group(self.db(), g).await
            }
            async fn update_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()> {
                resources::update_group(self.db(), g).await
            }
            async fn delete_resource_group(&mut self, id: Id) -> StoreResult<()> {
                resources::delete_group(self.db(), id).await
            }
            async fn get_resource_group(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<ResourceGroup>> {
                resources::get_group(self.db(), scope, id).await
            }
            async fn list_resource_groups(
                &mut self,
                scope: TenantScope,
                query: &OwnedQuery,
                page: PageReq,
            ) -> StoreResult<Vec<ResourceGroup>> {
                resources::list_groups(self.db(), scope, query, page).await
            }
            async fn add_resource_group_member(
                &mut self,
                group: Id,
                resource: Id,
            ) -> StoreResult<bool> {
                resources::add_member(self.db(), group, resource).await
            }
            async fn remove_resource_group_member(
                &mut self,
                group: Id,
                resource: Id,
            ) -> StoreResult<bool> {
                resources::remove_member(self.db(), group, resource).await
            }
            async fn resource_groups_of(&mut self, resource: Id) -> StoreResult<Vec<Id>> {
                resources::groups_of(self.db(), resource).await
            }

            async fn insert_project(&mut self, p: &Project) -> StoreResult<()> {
                projects::insert(self.db(), p).await
            }
            async fn update_project(&mut self, p: &Project) -> StoreResult<()> {
                projects::update(self.db(), p).await
            }
            async fn delete_project(&mut self, id: Id) -> StoreResult<()> {
                projects::delete(self.db(), id).await
            }
            async fn get_project(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<Project>> {
                projects::get(self.db(), scope, id).await
            }
            async fn list_projects(
                &mut self,
                scope: TenantScope,
                query: &OwnedQuery,
                page: PageReq,
            ) -> StoreResult<Vec<Project>> {
                projects::list(self.db(), scope, query, page).await
            }
            async fn attach_group(
                &mut self,
                project: Id,
                group: Id,
                at: Timestamp,
            ) -> StoreResult<bool> {
                projects::attach_group(self.db(), project, group, at).await
            }
            async fn detach_group(&mut self, project: Id, group: Id) -> StoreResult<bool> {
                projects::detach_group(self.db(), project, group).await
            }
            async fn attached_groups(&mut self, project: Id) -> StoreResult<Vec<Id>> {
                projects::attached_groups(self.db(), project).await
            }
            async fn projects_of_group(&mut self, group: Id) -> StoreResult<Vec<Id>> {
                projects::projects_of_group(self.db(), group).await
            }
            async fn add_project_member(
                &mut self,
                project: Id,
                user: Id,
                at: Timestamp,
            ) -> StoreResult<bool> {
                projects::add_member(self.db(), project, user, at).await
            }
            async fn remove_project_member(&mut self, project: Id, user: Id) -> StoreResult<bool> {
                projects::remove_member(self.db(), project, user).await
            }
            async fn list_project_members(
                &mut self,
                project: Id,
                page: PageReq,
            ) -> StoreResult<Vec<(Id, Timestamp)>> {
                projects::list_members(self.db(), project, page).await
            }
            async fn projects_of_user(&mut self, user: Id) -> StoreResult<Vec<Id>> {
                projects::projects_of_user(self.db(), user).await
            }

            async fn insert_role(&mut self, r: &Role) -> StoreResult<()> {
                grants::insert_role(self.db(), r).await
            }
            async fn update_role(&mut self, r: &Role) -> StoreResult<()> {
                grants::update_role(self.db(), r).await
            }
            async fn delete_role(&mut self, id: Id) -> StoreResult<()> {
                grants::delete_role(self.db(), id).await
            }
            async fn get_role(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Role>> {
                grants::get_role(self.db(), scope, id).await
            }
            async fn list_roles(
                &mut self,
                scope: TenantScope,
                query: &OwnedQuery,
                page: PageReq,
            ) -> StoreResult<Vec<Role>> {
                grants::list_roles(self.db(), scope, query, page).await
            }
            async fn role_in_use(&mut self, id: Id) -> StoreResult<bool> {
                grants::role_in_use(self.db(), id).await
            }
            async fn insert_grant(&mut self, g: &Grant) -> StoreResult<()> {
                grants::insert(self.db(), g).await
            }
            async fn update_grant(&mut self, g: &Grant) -> StoreResult<()> {
                grants::update(self.db(), g).await
            }
            async fn delete_grant(&mut self, id: Id) -> StoreResult<bool> {
                grants::delete(self.db(), id).await
            }
            async fn delete_grants_between(
                &mut self,
                subject: Id,
                scope: Id,
            ) -> StoreResult<Vec<Id>> {
                grants::delete_between(self.db(), subject, scope).await
            }
            async fn get_grant(
                &mut self,
                scope: TenantScope,
                id: Id,
            ) -> StoreResult<Option<Grant>> {
                grants::get(self.db(), scope, id).await
            }
            async fn list_grants(
                &mut self,
                scope: TenantScope,
                query: &GrantQuery,
                page: PageReq,
            ) -> StoreResult<Vec<Grant>> {
                grants::list(self.db(), scope, query, page).await
            }

            async fn record_access_changes(
                &mut self,
                changes: &[AccessChange],
            ) -> StoreResult<i64> {
                changes::record(self.db(), changes).await
            }
            async fn access_version(&mut self) -> StoreResult<i64> {
                changes::version(self.db()).await
            }
            async fn access_changes_since(
                &mut self,
                after: i64,
                limit: u32,
            ) -> StoreResult<Vec<(i64, AccessChange)>> {
                changes::since(self.db(), after, limit).await
            }
            async fn access_snapshot(&mut self) -> StoreResult<AccessSnapshot> {
                snapshot::snapshot(self.db()).await
            }

            async fn row_counts(&mut self) -> StoreResult<RowCounts> {
                verify::row_counts(self.db()).await
            }
            async fn list_users_with_hashes(
                &mut self,
                page: PageReq,
            ) -> StoreResult<Vec<(User, Option<String>)>> {
                users::list_with_hashes(self.db(), page).await
            }
            async fn list_all_memberships(
                &mut self,
                after: Option<(Id, Id)>,
                limit: u32,
            ) -> StoreResult<Vec<Membership>> {
                groups::list_all_memberships(self.db(), after, limit).await
            }
            async fn list_all_tokens(
                &mut self,
                page: PageReq,
            ) -> StoreResult<Vec<(TokenRecord, Vec<u8>)>> {
                tokens::list_all(self.db(), page).await
            }
            async fn insert_audit_events(&mut self, events: &[AuditEvent]) -> StoreResult<()> {
                audit::insert_many(self.db(), events).await
            }

            async fn consistency_problems(&mut self) -> StoreResult<Vec<String>> {
                verify::problems(self.db()).await
            }
        }
    };
}
