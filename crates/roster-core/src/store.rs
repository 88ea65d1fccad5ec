//! The store contract: what the service layer needs from a database. One contract, one
//! implementation per database, one conformance suite for all of them.
//!
//! Every read that takes a [`TenantScope`] must return nothing for rows of other tenants.
//! Lists are ordered by id ascending and start after [`PageReq::after`]; the audit log is the
//! exception, newest first, continuing before `after`.

use crate::ids::{Id, Timestamp};
use crate::model::*;
use crate::page::PageReq;
use async_trait::async_trait;

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Failures a store reports.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; names what was duplicated.
    #[error("duplicate {0}")]
    Unique(&'static str),
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A transient conflict with another transaction (serialisation failure, deadlock, busy
    /// database): the whole transaction may be run again and then succeed.
    #[error("transient conflict: {0}")]
    Retry(String),
    /// A sign-in token was for a user who is gone or no longer active (see
    /// [`StoreTx::insert_sign_in_token`]).
    #[error("the user is gone or no longer active")]
    UserNotActive,
    /// Anything else.
    #[error("store error: {0}")]
    Other(String),
}

/// Which tenants a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant (system administrators, roster itself).
    All,
    /// One tenant only.
    Tenant(Id),
}

impl TenantScope {
    /// Whether a row of `tenant` is visible in this scope.
    pub fn admits(self, tenant: Id) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::Tenant(t) => t == tenant,
        }
    }
}

/// How many rows of each kind a store holds, in every tenant: the size of a whole-install copy,
/// and a check that a copy is complete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    /// Org nodes, the system root included.
    pub org_nodes: u64,
    /// Users.
    pub users: u64,
    /// Groups, predefined ones included.
    pub groups: u64,
    /// Explicit memberships.
    pub memberships: u64,
    /// Tokens of every kind.
    pub tokens: u64,
    /// Audit events.
    pub audit_events: u64,
}

impl RowCounts {
    /// Rows of every kind together.
    pub fn total(&self) -> u64 {
        self.org_nodes
            + self.users
            + self.groups
            + self.memberships
            + self.tokens
            + self.audit_events
    }
}

/// A database that hands out transactions.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A read-only transaction (a consistent snapshot).
    async fn read(&self) -> StoreResult<Box<dyn StoreTx>>;
    /// A read-write transaction; nothing it writes is seen until [`StoreTx::commit`].
    async fn write(&self) -> StoreResult<Box<dyn StoreTx>>;
    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Signals from the database whenever some node commits access changes, where the
    /// database can send them (PostgreSQL's notifications); `None` where it cannot, and nodes
    /// poll instead.
    async fn watch_access(&self) -> StoreResult<Option<Box<dyn AccessWatch>>>;
    /// Starts a bulk load of groups, users and memberships (see [`BulkLoad`]).
    async fn bulk_load(&self) -> StoreResult<Box<dyn BulkLoad>>;

    /// [`StoreTx::login_record`] as one statement outside any transaction, for the sign-in
    /// path, which needs the stored hash as soon as it can have it. The default reads it in
    /// a read transaction; a store may save that transaction's round trips.
    async fn login_record(&self, login: &str) -> StoreResult<Option<(User, Option<String>)>> {
        let mut tx = self.read().await?;
        tx.login_record(login).await
    }

    /// Counts a sign-in attempt and reads what its answer needs, in one write transaction
    /// (see [`SignInAttempt`]), so that parallel guesses each see their own count. The
    /// default calls the matching [`StoreTx`] methods in a transaction; a store may send them
    /// to its database at once.
    async fn count_sign_in_attempt(&self, attempt: &SignInAttempt<'_>) -> StoreResult<SignInCount> {
        let mut tx = self.write().await?;
        let account = tx
            .count_login_attempt(attempt.account, attempt.at, attempt.window_start)
            .await?;
        let address = match attempt.address {
            Some(key) => tx.login_attempts(key, attempt.window_start).await?,
            None => 0,
        };
        let state = match attempt.state_of {
            Some((user, scope, policy)) => Some(tx.sign_in_state(user, scope, policy).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(SignInCount {
            account,
            address,
            state,
        })
    }

    /// Applies `writes` in order in one write transaction: all of them or none. The default
    /// opens a transaction and calls the matching [`StoreTx`] methods ([`apply_batch`]); a
    /// store may send the whole batch to its database at once, and apply at once writes
    /// that touch different rows. Like [`Store::write`], it waits for other write
    /// transactions, so a caller must not hold one while it waits for a batch.
    async fn write_batch(&self, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
        apply_batch(self.write().await?, writes).await
    }
}

/// A sign-in attempt for [`Store::count_sign_in_attempt`].
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    /// The account's throttling key: the attempt is counted against it
    /// ([`StoreTx::count_login_attempt`]).
    pub account: &'a str,
    /// The client address's throttling key, whose count is read, not changed
    /// ([`StoreTx::login_attempts`]).
    pub address: Option<&'a str>,
    /// When the attempt was made.
    pub at: Timestamp,
    /// Where the current window of attempts starts.
    pub window_start: Timestamp,
    /// The user the login names, the scope of their policy document and the document's
    /// name, when a user was found ([`StoreTx::sign_in_state`]).
    pub state_of: Option<(Id, Id, &'a str)>,
}

/// What [`Store::count_sign_in_attempt`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCount {
    /// The account's attempts within the window, this one included.
    pub account: i64,
    /// The attempts counted against the address within the window (0 without one).
    pub address: i64,
    /// The sign-in state of [`SignInAttempt::state_of`]'s user.
    pub state: Option<SignInState>,
}

/// Applies `writes` in order in `tx` and commits it: [`Store::write_batch`]'s default, for a
/// store whose own way does not suit every batch.
pub async fn apply_batch(mut tx: Box<dyn StoreTx>, writes: &[BatchWrite<'_>]) -> StoreResult<()> {
    for write in writes {
        match *write {
            BatchWrite::ClearLoginAttempts(key) => tx.clear_login_attempts(key).await?,
            BatchWrite::CountLoginAttempt {
                key,
                at,
                window_start,
            } => {
                tx.count_login_attempt(key, at, window_start).await?;
            }
            BatchWrite::InsertSignInToken { token, hash } => {
                tx.insert_sign_in_token(token, hash).await?
            }
            BatchWrite::Audit(event) => tx.insert_audit(event).await?,
            BatchWrite::UpgradePasswordHash { user, from, to } => {
                if tx.password_hash(user).await?.as_deref() == Some(from) {
                    tx.set_password_hash(user, Some(to)).await?;
                }
            }
        }
    }
    tx.commit().await
}

/// One write of a [`Store::write_batch`]: a [`StoreTx`] write whose answer is not needed.
#[derive(Debug, Clone, Copy)]
pub enum BatchWrite<'a> {
    /// [`StoreTx::clear_login_attempts`].
    ClearLoginAttempts(&'a str),
    /// [`StoreTx::count_login_attempt`], the count unread.
    CountLoginAttempt {
        /// The key counted against.
        key: &'a str,
        /// When the attempt was made.
        at: Timestamp,
        /// Where the current window of attempts starts.
        window_start: Timestamp,
    },
    /// [`StoreTx::insert_sign_in_token`]: when the user is gone or no longer active, the
    /// whole batch fails with [`StoreError::UserNotActive`].
    InsertSignInToken {
        /// The token.
        token: &'a TokenRecord,
        /// The hash of its secret.
        hash: &'a [u8],
    },
    /// [`StoreTx::insert_audit`].
    Audit(&'a AuditEvent),
    /// Replaces a user's password hash `from` with `to` (the same password hashed again with
    /// other parameters). Nothing changes when the stored hash is no longer `from`: the
    /// password was changed meanwhile, and the change stands.
    UpgradePasswordHash {
        /// The user.
        user: Id,
        /// The hash read before the password was verified against it.
        from: &'a str,
        /// Its replacement.
        to: &'a str,
    },
}

/// A bulk load: one write transaction that fills a store with many groups, users and
/// memberships, as generating a benchmark's data or importing into a new install does.
///
/// The store may write the rows first and build what depends on them once, in
/// [`BulkLoad::finish`]: secondary indexes, reference checks, memberships in key order. The
/// result is the same database as the same rows written through [`StoreTx`]: the same rows,
/// indexes and constraints, and the planner's statistics refreshed. A row that breaks a rule
/// fails the call that wrote it or `finish` (a duplicate login fails at once; a membership of
/// a missing user or group may fail only in `finish`), and then nothing of the load remains.
/// Nothing is seen by others before `finish`; dropping the load without it rolls back.
///
/// A load holds the store's write transaction throughout, and on PostgreSQL locks the tables
/// it fills against readers too; `finish` rebuilds the secondary indexes of whole tables. It
/// is for filling an install that is not serving yet, not for adding a few rows to a large
/// one. It records no access changes: a node builds its index from the loaded database when
/// it starts.
#[async_trait]
pub trait BulkLoad: Send {
    /// Inserts groups; the rules of [`StoreTx::insert_group`] apply.
    async fn insert_groups(&mut self, groups: &[Group]) -> StoreResult<()>;
    /// Inserts users with optional password hashes; the rules of [`StoreTx::insert_users`]
    /// apply.
    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()>;
    /// Adds memberships of stored or loaded users and groups, in any order, or replaces their
    /// windows, as [`StoreTx::upsert_memberships`] does: a membership given again keeps its
    /// first creation time and takes the last window.
    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()>;
    /// Writes what was deferred, builds the indexes, refreshes the planner's statistics and
    /// commits.
    async fn finish(self: Box<Self>) -> StoreResult<()>;
}

/// A subscription to "the access change log moved" signals.
#[async_trait]
pub trait AccessWatch: Send {
    /// Waits for the next signal. A signal may be spurious, and signals lost while the
    /// connection was down are reported as one signal; the caller then reads the log.
    async fn changed(&mut self) -> StoreResult<()>;
}

/// One transaction. Dropping it without `commit` rolls everything back.
#[async_trait]
pub trait StoreTx: Send {
    /// Makes the transaction's writes permanent.
    async fn commit(self: Box<Self>) -> StoreResult<()>;

    // --- org tree ---
    /// Inserts a node.
    async fn insert_org_node(&mut self, node: &OrgNode) -> StoreResult<()>;
    /// Writes a node's name, version and `updated_at`.
    async fn update_org_node(&mut self, node: &OrgNode) -> StoreResult<()>;
    /// Deletes a node (the caller has checked it is empty) with its predefined groups (their
    /// memberships, project attachments and grants go as [`StoreTx::delete_group`] says) and
    /// every grant held on it.
    async fn delete_org_node(&mut self, id: Id) -> StoreResult<()>;
    /// One node, if visible in `scope`.
    async fn get_org_node(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<OrgNode>>;
    /// A page of nodes.
    async fn list_org_nodes(
        &mut self,
        scope: TenantScope,
        query: &OrgQuery,
        page: PageReq,
    ) -> StoreResult<Vec<OrgNode>>;
    /// Ids of `node` and every node below it.
    async fn subtree_ids(&mut self, node: Id) -> StoreResult<Vec<Id>>;
    /// Whether a node still holds child nodes, users, custom groups, projects, resources,
    /// resource groups or custom roles.
    async fn org_node_in_use(&mut self, id: Id) -> StoreResult<bool>;

    // --- users ---
    /// Inserts a user with an optional password hash (PHC string).
    async fn insert_user(&mut self, user: &User, password_hash: Option<&str>) -> StoreResult<()>;
    /// Inserts many users at once, as bulk loads and imports do; the same rules as
    /// [`StoreTx::insert_user`] apply to each row.
    async fn insert_users(&mut self, users: &[(User, Option<String>)]) -> StoreResult<()>;
    /// Writes every field of a user except the password hash.
    async fn update_user(&mut self, user: &User) -> StoreResult<()>;
    /// Deletes a user with their memberships, project memberships, tokens and the grants given
    /// to them.
    async fn delete_user(&mut self, id: Id) -> StoreResult<()>;
    /// One user, if visible in `scope`.
    async fn get_user(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<User>>;
    /// The user with this login (any case), in any tenant: logins are unique install-wide.
    async fn get_user_by_login(&mut self, login: &str) -> StoreResult<Option<User>>;
    /// The user with this login (any case, any tenant) with their password hash, in one
    /// look-up: what a password login reads before it hashes.
    async fn login_record(&mut self, login: &str) -> StoreResult<Option<(User, Option<String>)>>;
    /// A page of users.
    async fn list_users(
        &mut self,
        scope: TenantScope,
        query: &UserQuery,
        page: PageReq,
    ) -> StoreResult<Vec<User>>;
    /// The user's password hash (PHC string), if they have one.
    async fn password_hash(&mut self, user: Id) -> StoreResult<Option<String>>;
    /// Replaces the user's password hash.
    async fn set_password_hash(&mut self, user: Id, hash: Option<&str>) -> StoreResult<()>;

    // --- groups and memberships ---
    /// Inserts a group.
    async fn insert_group(&mut self, group: &Group) -> StoreResult<()>;
    /// Writes a group's name, description, version and `updated_at`.
    async fn update_group(&mut self, group: &Group) -> StoreResult<()>;
    /// Deletes a group with its memberships, its attachments to projects and the grants given
    /// to it.
    async fn delete_group(&mut self, id: Id) -> StoreResult<()>;
    /// One group, if visible in `scope`.
    async fn get_group(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Group>>;
    /// The predefined group of `kind` that `owner` has.
    async fn predefined_group(&mut self, owner: Id, kind: GroupKind) -> StoreResult<Option<Group>>;
    /// A page of groups.
    async fn list_groups(
        &mut self,
        scope: TenantScope,
        query: &GroupQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Group>>;
    /// Adds a membership or replaces its validity window.
    async fn upsert_membership(&mut self, m: &Membership) -> StoreResult<()>;
    /// Adds many memberships at once (or replaces their windows), as bulk loads do.
    async fn upsert_memberships(&mut self, ms: &[Membership]) -> StoreResult<()>;
    /// Removes a membership; whether there was one.
    async fn delete_membership(&mut self, group: Id, user: Id) -> StoreResult<bool>;
    /// One membership.
    async fn get_membership(&mut self, group: Id, user: Id) -> StoreResult<Option<Membership>>;
    /// Every explicit membership of a user.
    async fn memberships_of_user(&mut self, user: Id) -> StoreResult<Vec<Membership>>;
    /// A page of a group's explicit memberships, ordered by user id.
    async fn list_memberships(&mut self, group: Id, page: PageReq) -> StoreResult<Vec<Membership>>;

    // --- tokens ---
    /// Stores a token under the hash of its secret.
    async fn insert_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()>;
    /// Stores a token that a sign-in opens, only while its user exists and is active:
    /// otherwise stores nothing and fails with [`StoreError::UserNotActive`]. A disable or
    /// delete racing it on another connection comes wholly before (and this fails) or
    /// wholly after (and ends the token with the user's others).
    async fn insert_sign_in_token(&mut self, token: &TokenRecord, hash: &[u8]) -> StoreResult<()>;
    /// The token whose secret hashes to `hash`.
    async fn get_token_by_hash(&mut self, hash: &[u8]) -> StoreResult<Option<TokenRecord>>;
    /// Records a use of a token.
    async fn touch_token(&mut self, id: Id, at: Timestamp) -> StoreResult<()>;
    /// Deletes a token; whether there was one.
    async fn delete_token(&mut self, id: Id) -> StoreResult<bool>;
    /// Deletes a user's tokens of the given kinds; how many went.
    async fn delete_user_tokens(&mut self, user: Id, kinds: &[TokenKind]) -> StoreResult<u64>;
    /// A user's tokens of one kind.
    async fn list_user_tokens(
        &mut self,
        user: Id,
        kind: TokenKind,
    ) -> StoreResult<Vec<TokenRecord>>;

    // --- audit ---
    /// Appends an audit event.
    async fn insert_audit(&mut self, event: &AuditEvent) -> StoreResult<()>;
    /// A page of audit events, newest first.
    async fn list_audit(
        &mut self,
        scope: TenantScope,
        query: &AuditQuery,
        page: PageReq,
    ) -> StoreResult<Vec<AuditEvent>>;

    // --- login throttling ---
    /// Counts one login attempt against `key`, atomically, and returns the count after it.
    /// A count whose last attempt is before `window_start` starts again from one.
    async fn count_login_attempt(
        &mut self,
        key: &str,
        at: Timestamp,
        window_start: Timestamp,
    ) -> StoreResult<i64>;
    /// The attempts counted against `key` whose last attempt is at or after `window_start`
    /// (zero when there are none, or the last is older).
    async fn login_attempts(&mut self, key: &str, window_start: Timestamp) -> StoreResult<i64>;
    /// Forgets the attempts counted against `key` (after a successful login).
    async fn clear_login_attempts(&mut self, key: &str) -> StoreResult<()>;

    // --- resource types (install-wide) ---
    /// Registers a type, or replaces the actions of a registered one.
    async fn upsert_resource_type(&mut self, t: &ResourceType) -> StoreResult<()>;
    /// One registered type.
    async fn get_resource_type(&mut self, name: &str) -> StoreResult<Option<ResourceType>>;
    /// Every registered type, by name.
    async fn list_resource_types(&mut self) -> StoreResult<Vec<ResourceType>>;
    /// Removes a registered type; whether there was one.
    async fn delete_resource_type(&mut self, name: &str) -> StoreResult<bool>;
    /// Whether any resource has this type.
    async fn resource_type_in_use(&mut self, name: &str) -> StoreResult<bool>;

    // --- resources and resource groups ---
    /// Inserts a resource; a duplicate (owner, type, name) is `Unique("resource name")`.
    async fn insert_resource(&mut self, r: &Resource) -> StoreResult<()>;
    /// Writes a resource's name, owner, version and `updated_at`.
    async fn update_resource(&mut self, r: &Resource) -> StoreResult<()>;
    /// Deletes a resource, its resource-group memberships and every grant held on it.
    async fn delete_resource(&mut self, id: Id) -> StoreResult<()>;
    /// One resource, if visible in `scope`.
    async fn get_resource(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Resource>>;
    /// A page of resources.
    async fn list_resources(
        &mut self,
        scope: TenantScope,
        query: &ResourceQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Resource>>;
    /// Inserts a resource group; a duplicate (owner, name) is `Unique("resource group name")`.
    async fn insert_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()>;
    /// Writes a resource group's name, description, version and `updated_at`.
    async fn update_resource_group(&mut self, g: &ResourceGroup) -> StoreResult<()>;
    /// Deletes a resource group, its memberships (not the resources) and every grant held on
    /// it.
    async fn delete_resource_group(&mut self, id: Id) -> StoreResult<()>;
    /// One resource group, if visible in `scope`.
    async fn get_resource_group(
        &mut self,
        scope: TenantScope,
        id: Id,
    ) -> StoreResult<Option<ResourceGroup>>;
    /// A page of resource groups.
    async fn list_resource_groups(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<ResourceGroup>>;
    /// Puts a resource in a resource group; whether it was not in it before.
    async fn add_resource_group_member(&mut self, group: Id, resource: Id) -> StoreResult<bool>;
    /// Takes a resource out of a resource group; whether it was in it.
    async fn remove_resource_group_member(&mut self, group: Id, resource: Id) -> StoreResult<bool>;
    /// The resource groups a resource is in.
    async fn resource_groups_of(&mut self, resource: Id) -> StoreResult<Vec<Id>>;

    // --- projects ---
    /// Inserts a project; a duplicate (owner, name) is `Unique("project name")`.
    async fn insert_project(&mut self, p: &Project) -> StoreResult<()>;
    /// Writes a project's name, description, exclusivity, version and `updated_at`.
    async fn update_project(&mut self, p: &Project) -> StoreResult<()>;
    /// Deletes a project with its members, its attachments and every grant held on it (the
    /// caller has removed its project-level groups and resources first).
    async fn delete_project(&mut self, id: Id) -> StoreResult<()>;
    /// One project, if visible in `scope`.
    async fn get_project(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Project>>;
    /// A page of projects.
    async fn list_projects(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Project>>;
    /// Attaches an org-level group to a project; whether it was not attached before.
    async fn attach_group(&mut self, project: Id, group: Id, at: Timestamp) -> StoreResult<bool>;
    /// Detaches an org-level group from a project; whether it was attached.
    async fn detach_group(&mut self, project: Id, group: Id) -> StoreResult<bool>;
    /// The org-level groups attached to a project.
    async fn attached_groups(&mut self, project: Id) -> StoreResult<Vec<Id>>;
    /// The projects an org-level group is attached to.
    async fn projects_of_group(&mut self, group: Id) -> StoreResult<Vec<Id>>;
    /// Makes a user a project member; whether they were not one before.
    async fn add_project_member(
        &mut self,
        project: Id,
        user: Id,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends a user's project membership; whether they were a member.
    async fn remove_project_member(&mut self, project: Id, user: Id) -> StoreResult<bool>;
    /// A page of a project's members, ordered by user id: `(user, since)`.
    async fn list_project_members(
        &mut self,
        project: Id,
        page: PageReq,
    ) -> StoreResult<Vec<(Id, Timestamp)>>;
    /// The projects a user is a member of.
    async fn projects_of_user(&mut self, user: Id) -> StoreResult<Vec<Id>>;

    // --- roles and grants ---
    /// Inserts a custom role; a duplicate (owner, name) is `Unique("role name")`.
    async fn insert_role(&mut self, r: &Role) -> StoreResult<()>;
    /// Writes a role's name, description, permissions, version and `updated_at`.
    async fn update_role(&mut self, r: &Role) -> StoreResult<()>;
    /// Deletes a custom role (the caller has checked no grant uses it).
    async fn delete_role(&mut self, id: Id) -> StoreResult<()>;
    /// One custom role, if visible in `scope`.
    async fn get_role(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Role>>;
    /// A page of custom roles.
    async fn list_roles(
        &mut self,
        scope: TenantScope,
        query: &OwnedQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Role>>;
    /// Whether any grant uses the role.
    async fn role_in_use(&mut self, id: Id) -> StoreResult<bool>;
    /// Inserts a grant.
    async fn insert_grant(&mut self, g: &Grant) -> StoreResult<()>;
    /// Writes a grant's effect, validity, version and `updated_at`.
    async fn update_grant(&mut self, g: &Grant) -> StoreResult<()>;
    /// Deletes a grant; whether there was one.
    async fn delete_grant(&mut self, id: Id) -> StoreResult<bool>;
    /// Deletes the grants given to `subject` and held on `scope`; their ids.
    async fn delete_grants_between(&mut self, subject: Id, scope: Id) -> StoreResult<Vec<Id>>;
    /// One grant, if visible in `scope`.
    async fn get_grant(&mut self, scope: TenantScope, id: Id) -> StoreResult<Option<Grant>>;
    /// A page of grants.
    async fn list_grants(
        &mut self,
        scope: TenantScope,
        query: &GrantQuery,
        page: PageReq,
    ) -> StoreResult<Vec<Grant>>;

    // --- the access change log ---
    /// Records that these objects' access facts changed in this transaction, under a new
    /// version of the log, and returns it. Versions become visible in commit order: a reader
    /// that has seen version n has seen every change up to n.
    async fn record_access_changes(&mut self, changes: &[AccessChange]) -> StoreResult<i64>;
    /// The newest version of the access change log (0 when nothing was recorded).
    async fn access_version(&mut self) -> StoreResult<i64>;
    /// Up to `limit` changes with a version above `after`, oldest first, with their versions.
    async fn access_changes_since(
        &mut self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AccessChange)>>;
    /// Everything the access index is built from, as of this transaction's snapshot.
    async fn access_snapshot(&mut self) -> StoreResult<AccessSnapshot>;

    // --- second factors ---
    /// Enrols a TOTP authenticator, replacing the user's previous one.
    async fn put_totp(&mut self, factor: &TotpFactor) -> StoreResult<()>;
    /// The user's TOTP authenticator, if any.
    async fn get_totp(&mut self, user: Id) -> StoreResult<Option<TotpFactor>>;
    /// Marks the user's authenticator confirmed; whether there was one.
    async fn confirm_totp(&mut self, user: Id) -> StoreResult<bool>;
    /// Accepts a code of time step `step`, atomically: true only when the step is later than
    /// every step accepted before (so a code is never accepted twice, even by parallel logins).
    async fn use_totp_step(&mut self, user: Id, step: i64) -> StoreResult<bool>;
    /// Removes the user's authenticator and recovery codes; whether there was an
    /// authenticator.
    async fn delete_second_factors(&mut self, user: Id) -> StoreResult<bool>;
    /// Replaces the user's recovery codes (their hashes).
    async fn replace_recovery_codes(&mut self, user: Id, hashes: &[[u8; 32]]) -> StoreResult<()>;
    /// Uses up a recovery code, atomically; whether it was there.
    async fn use_recovery_code(&mut self, user: Id, hash: &[u8; 32]) -> StoreResult<bool>;
    /// How many recovery codes the user has left.
    async fn recovery_codes_left(&mut self, user: Id) -> StoreResult<i64>;
    /// A page of every user's TOTP authenticator with the hashes of their recovery codes,
    /// ordered by user id, continuing after `after` (copying an install).
    async fn list_second_factors(
        &mut self,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<(TotpFactor, Vec<[u8; 32]>)>>;

    // --- email as a second factor ---
    /// Turns on email codes as the user's second factor.
    async fn put_email_factor(&mut self, user: Id, at: Timestamp) -> StoreResult<()>;
    /// Whether the user receives email codes as a second factor.
    async fn has_email_factor(&mut self, user: Id) -> StoreResult<bool>;
    /// Turns email codes off for the user; whether they were on.
    async fn delete_email_factor(&mut self, user: Id) -> StoreResult<bool>;
    /// In one look-up: whether the user has a confirmed authenticator and email codes on,
    /// and the value of the settings document `policy` of `scope` (the tenant's policy).
    async fn sign_in_state(
        &mut self,
        user: Id,
        scope: Id,
        policy: &str,
    ) -> StoreResult<SignInState>;
    /// A page of the users with email codes on, with when they turned them on, ordered by
    /// user id and continuing after `after` (copying an install).
    async fn list_email_factors(
        &mut self,
        after: Option<Id>,
        limit: u32,
    ) -> StoreResult<Vec<(Id, Timestamp)>>;

    // --- settings ---
    /// The settings document `name` of an org node (the system root for install-wide ones).
    async fn get_setting(&mut self, scope: Id, name: &str) -> StoreResult<Option<Setting>>;
    /// Stores a settings document, replacing the one of the same scope and name.
    async fn put_setting(&mut self, setting: &Setting) -> StoreResult<()>;
    /// Removes a settings document; whether there was one.
    async fn delete_setting(&mut self, scope: Id, name: &str) -> StoreResult<bool>;
    /// Every settings document of the install, ordered by scope and name (copying an install).
    async fn list_all_settings(&mut self) -> StoreResult<Vec<Setting>>;

    // --- whole install (copying a database) ---
    /// How many rows of each kind the store holds, in every tenant.
    async fn row_counts(&mut self) -> StoreResult<RowCounts>;
    /// A page of the users of every tenant, each with their password hash (PHC string) if they
    /// have one; ordered by id.
    async fn list_users_with_hashes(
        &mut self,
        page: PageReq,
    ) -> StoreResult<Vec<(User, Option<String>)>>;
    /// A page of the explicit memberships of every group, ordered by `(group, user)` and
    /// continuing after the key `after`.
    async fn list_all_memberships(
        &mut self,
        after: Option<(Id, Id)>,
        limit: u32,
    ) -> StoreResult<Vec<Membership>>;
    /// A page of the tokens of every user, each with the stored hash of its secret; ordered by
    /// id.
    async fn list_all_tokens(&mut self, page: PageReq) -> StoreResult<Vec<(TokenRecord, Vec<u8>)>>;
    /// Appends many audit events at once, as copying an install does; ids must be new.
    async fn insert_audit_events(&mut self, events: &[AuditEvent]) -> StoreResult<()>;

    // --- consistency ---
    /// Everything wrong with the stored data, one sentence each (empty when consistent).
    async fn consistency_problems(&mut self) -> StoreResult<Vec<String>>;
}
