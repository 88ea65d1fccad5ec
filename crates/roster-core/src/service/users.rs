//! Users: create, read, list, update (including enable/disable and owner change), delete.

use super::authorize::Visible;
use super::{audit, check_version, Ctx, Service};
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id};
use crate::model::{
    AccessChange, AccessKind, Group, GroupKind, Membership, OrgNode, TokenKind, User, UserKind,
    UserQuery, UserStatus,
};
use crate::page::{Page, PageReq};
use crate::policy::PersonalWords;
use crate::store::{StoreTx, TenantScope};
use crate::validate;
use serde_json::{json, Map, Value};

/// What an administrator fills in to create a user.
#[derive(Debug, Clone)]
pub struct CreateUser {
    /// Login; defaults to the email when absent.
    pub login: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Owning tenant or customer.
    pub owner: Id,
    /// Internal (default) or external.
    pub kind: Option<UserKind>,
    /// Initial password; without one an internal user is pending until activated.
    pub password: Option<String>,
    /// Whether the user may log in (default true).
    pub enabled: bool,
    /// Groups to add the user to.
    pub groups: Vec<Id>,
    /// Whether the first login must change the password.
    pub must_change_password: bool,
}

/// A partial change to a user; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UpdateUser {
    /// New login.
    pub login: Option<String>,
    /// New email (or none).
    pub email: Option<Option<String>>,
    /// New first name (or none).
    pub first_name: Option<Option<String>>,
    /// New last name (or none).
    pub last_name: Option<Option<String>>,
    /// New phone (or none).
    pub phone: Option<Option<String>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New owner.
    pub owner: Option<Id>,
    /// Require (or stop requiring) a password change at next login.
    pub must_change_password: Option<bool>,
}

/// The outcome of an update: the user and the groups an owner change removed them from.
#[derive(Debug, Clone)]
pub struct UpdatedUser {
    /// The user as now stored.
    pub user: User,
    /// Groups the user left because the new owner cannot hold them.
    pub removed_from_groups: Vec<Id>,
}

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Owned by exactly this node.
    pub owner: Option<Id>,
    /// Member of this group.
    pub group: Option<Id>,
    /// In this status.
    pub status: Option<UserStatus>,
    /// Prefix of login, email, first or last name.
    pub q: Option<String>,
}

impl Service {
    /// Creates a user owned by a node the caller administers.
    pub async fn create_user(&self, ctx: &Ctx, input: CreateUser) -> CoreResult<User> {
        self.retrying(|| self.create_user_once(ctx, &input)).await
    }

    /// One attempt of [`Service::create_user`].
    async fn create_user_once(&self, ctx: &Ctx, input: &CreateUser) -> CoreResult<User> {
        let email = input.email.as_deref().map(validate::email).transpose()?;
        let login = match (&input.login, &email) {
            (Some(l), _) => validate::login(l)?,
            (None, Some(e)) => validate::login(e)?,
            (None, None) => {
                return Err(CoreError::invalid(
                    "required",
                    "login",
                    "a login or an email is required",
                ))
            }
        };
        let first_name = validate::optional_name("first_name", input.first_name.as_deref())?;
        let last_name = validate::optional_name("last_name", input.last_name.as_deref())?;
        let phone = validate::phone(input.phone.as_deref())?;
        let kind = input.kind.unwrap_or(UserKind::Internal);
        if kind == UserKind::External && input.password.is_some() {
            return Err(CoreError::invalid(
                "password_not_allowed",
                "password",
                "an external user's password is held by the directory",
            ));
        }
        let mut groups = input.groups.clone();
        groups.sort();
        groups.dedup();

        // Check what can be checked before paying for a password hash.
        {
            let mut tx = self.read().await?;
            let owner = self
                .node_where(tx.as_mut(), ctx, input.owner, "owner", "user", "create")
                .await?;
            if tx.get_user_by_login(&login).await?.is_some() {
                return Err(login_taken(&login));
            }
            self.check_groups_for(tx.as_mut(), ctx, &owner, &groups)
                .await?;
            if let Some(p) = &input.password {
                let personal = PersonalWords {
                    login: &login,
                    email: email.as_deref(),
                    first_name: first_name.as_deref(),
                    last_name: last_name.as_deref(),
                };
                self.check_new_password(tx.as_mut(), owner.tenant, p, personal)
                    .await?;
            }
        }
        let hash = match &input.password {
            Some(p) => Some(self.hasher.hash(p).await?),
            None => None,
        };

        let mut tx = self.write().await?;
        let owner = self
            .node_where(tx.as_mut(), ctx, input.owner, "owner", "user", "create")
            .await?;
        if tx.get_user_by_login(&login).await?.is_some() {
            return Err(login_taken(&login));
        }
        let checked = self
            .check_groups_for(tx.as_mut(), ctx, &owner, &groups)
            .await?;
        let status = if !input.enabled {
            UserStatus::Disabled
        } else if hash.is_some() || kind == UserKind::External {
            UserStatus::Active
        } else {
            UserStatus::Pending
        };
        let at = now();
        let user = User {
            id: new_id(),
            tenant: owner.tenant,
            owner: owner.id,
            login,
            email,
            email_verified: false,
            first_name,
            last_name,
            phone,
            kind,
            status,
            must_change_password: input.must_change_password,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        tx.insert_user(&user, hash.as_deref())
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Unique(_) => login_taken(&user.login),
                other => other.into(),
            })?;
        let mut projects = Vec::new();
        for group in &checked {
            let membership = Membership {
                group: group.id,
                user: user.id,
                tenant: user.tenant,
                valid_from: None,
                valid_until: None,
                created_at: at,
            };
            projects.extend(self.join_group(tx.as_mut(), group, &membership).await?);
        }
        audit(
            tx.as_mut(),
            ctx,
            user.tenant,
            "user.create",
            Some(user.id),
            json!({
                "login": user.login, "owner": user.owner, "kind": user.kind,
                "status": user.status, "groups": groups, "password_set": hash.is_some(),
                "projects_joined": projects,
            }),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, user.id)])
            .await?;
        Ok(user)
    }

    /// One user: the caller themselves, or one they administer.
    pub async fn get_user(&self, ctx: &Ctx, id: Id) -> CoreResult<User> {
        let mut tx = self.read().await?;
        Ok(self.visible_user(tx.as_mut(), ctx, id).await?.0)
    }

    /// The users the caller may see, filtered, a page at a time.
    pub async fn list_users(
        &self,
        ctx: &Ctx,
        filter: &UserFilter,
        page: PageReq,
    ) -> CoreResult<Page<User>> {
        let mut tx = self.read().await?;
        let mut query = UserQuery {
            owner: filter.owner,
            status: filter.status,
            prefix: validate::prefix(filter.q.as_deref())?,
            ..UserQuery::default()
        };
        let mut scope = ctx.actor.scope();
        if let Some(g) = filter.group {
            match tx.get_group(scope, g).await? {
                // `All` holds every user of its tenant; no membership rows exist for it.
                Some(group) if group.kind == GroupKind::All => {
                    scope = TenantScope::Tenant(group.tenant)
                }
                Some(_) => query.group = Some(g),
                None => return Ok(page.finish(Vec::new(), |u: &User| u.id)),
            }
        }
        match self.visible_owners(tx.as_mut(), ctx, "user").await? {
            Visible::Everything => {}
            Visible::Owners(owners) => query.owner_in = Some(owners),
            Visible::Nothing => query.only = ctx.actor.user,
        }
        let rows = tx.list_users(scope, &query, page.probe()).await?;
        Ok(page.finish(rows, |u| u.id))
    }

    /// Changes a user. People may change their own names and phone; administrators of the
    /// owner may change everything, including the owner (to a node they also administer).
    pub async fn update_user(
        &self,
        ctx: &Ctx,
        id: Id,
        change: UpdateUser,
        expected_version: Option<i64>,
    ) -> CoreResult<UpdatedUser> {
        self.retrying(|| self.update_user_once(ctx, id, &change, expected_version))
            .await
    }

    /// One attempt of [`Service::update_user`].
    async fn update_user_once(
        &self,
        ctx: &Ctx,
        id: Id,
        change: &UpdateUser,
        expected_version: Option<i64>,
    ) -> CoreResult<UpdatedUser> {
        let mut tx = self.write().await?;
        let (mut user, _) = self.visible_user(tx.as_mut(), ctx, id).await?;
        check_version(expected_version, user.version)?;
        let is_admin = self.may(ctx, "user", "update", user.id);
        let admin_only = change.login.is_some()
            || change.email.is_some()
            || change.enabled.is_some()
            || change.owner.is_some()
            || change.must_change_password.is_some();
        if !is_admin && admin_only {
            return Err(CoreError::forbidden(
                "only an administrator may change login, email, status, owner or password policy",
            ));
        }
        let mut changed = Map::new();
        let mut note = |field: &str, from: Value, to: Value| {
            if from != to {
                changed.insert(field.to_string(), json!({"from": from, "to": to}));
            }
        };

        if let Some(l) = &change.login {
            let l = validate::login(l)?;
            if l.to_lowercase() != user.login.to_lowercase()
                && tx.get_user_by_login(&l).await?.is_some()
            {
                return Err(login_taken(&l));
            }
            note("login", json!(user.login), json!(l));
            user.login = l;
        }
        if let Some(e) = &change.email {
            let e = e
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(validate::email)
                .transpose()?;
            if e != user.email {
                // A new address is unverified, and sign-in codes stop going to any address
                // until the user verifies the new one and turns them on again.
                user.email_verified = false;
                if tx.delete_email_factor(user.id).await? {
                    note("email_codes", json!(true), json!(false));
                }
            }
            note("email", json!(user.email), json!(e));
            user.email = e;
        }
        if let Some(v) = &change.first_name {
            let v = validate::optional_name("first_name", v.as_deref())?;
            note("first_name", json!(user.first_name), json!(v));
            user.first_name = v;
        }
        if let Some(v) = &change.last_name {
            let v = validate::optional_name("last_name", v.as_deref())?;
            note("last_name", json!(user.last_name), json!(v));
            user.last_name = v;
        }
        if let Some(v) = &change.phone {
            let v = validate::phone(v.as_deref())?;
            note("phone", json!(user.phone), json!(v));
            user.phone = v;
        }
        if let Some(m) = change.must_change_password {
            note(
                "must_change_password",
                json!(user.must_change_password),
                json!(m),
            );
            user.must_change_password = m;
        }
        let mut end_sessions = false;
        if let Some(enabled) = change.enabled {
            let status = if !enabled {
                UserStatus::Disabled
            } else if user.status != UserStatus::Disabled {
                user.status
            } else if user.kind == UserKind::External || tx.password_hash(user.id).await?.is_some()
            {
                UserStatus::Active
            } else {
                UserStatus::Pending
            };
            if status == UserStatus::Disabled && ctx.actor.is(user.id) {
                return Err(CoreError::conflict(
                    "cannot_disable_self",
                    "you cannot disable your own account",
                ));
            }
            end_sessions = status == UserStatus::Disabled && user.status != UserStatus::Disabled;
            note("status", json!(user.status), json!(status));
            user.status = status;
        }
        let mut removed = Vec::new();
        if let Some(new_owner) = change.owner.filter(|o| *o != user.owner) {
            let node = self
                .node_where(tx.as_mut(), ctx, new_owner, "owner", "user", "create")
                .await?;
            if node.tenant != user.tenant {
                return Err(CoreError::invalid(
                    "unknown_owner",
                    "owner",
                    "owner does not name a tenant or customer of the user's tenant",
                ));
            }
            for m in tx.memberships_of_user(user.id).await? {
                let keep = match tx.get_group(TenantScope::All, m.group).await? {
                    Some(g) => node.is_within(g.owner),
                    None => false,
                };
                if !keep {
                    tx.delete_membership(m.group, user.id).await?;
                    removed.push(m.group);
                }
            }
            note("owner", json!(user.owner), json!(node.id));
            user.owner = node.id;
        }
        if changed.is_empty() {
            return Ok(UpdatedUser {
                user,
                removed_from_groups: removed,
            });
        }
        user.version += 1;
        user.updated_at = now();
        tx.update_user(&user).await.map_err(|e| match e {
            crate::store::StoreError::Unique(_) => login_taken(&user.login),
            other => other.into(),
        })?;
        if end_sessions {
            tx.delete_user_tokens(user.id, &[TokenKind::Session])
                .await?;
        }
        let mut summary = json!({ "changed": changed });
        if !removed.is_empty() {
            summary["removed_from_groups"] = json!(removed);
        }
        audit(
            tx.as_mut(),
            ctx,
            user.tenant,
            "user.update",
            Some(user.id),
            summary,
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, user.id)])
            .await?;
        Ok(UpdatedUser {
            user,
            removed_from_groups: removed,
        })
    }

    /// Deletes a user: memberships, sessions and credentials go; the audit trail keeps the id.
    pub async fn delete_user(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        self.retrying(|| self.delete_user_once(ctx, id, expected_version))
            .await
    }

    /// One attempt of [`Service::delete_user`].
    async fn delete_user_once(
        &self,
        ctx: &Ctx,
        id: Id,
        expected_version: Option<i64>,
    ) -> CoreResult<()> {
        let mut tx = self.write().await?;
        let (user, _) = self.visible_user(tx.as_mut(), ctx, id).await?;
        check_version(expected_version, user.version)?;
        if !self.may(ctx, "user", "delete", user.id) {
            return Err(CoreError::forbidden(
                "only an administrator of the owner may delete a user",
            ));
        }
        if ctx.actor.is(user.id) {
            return Err(CoreError::conflict(
                "cannot_delete_self",
                "you cannot delete your own account",
            ));
        }
        tx.delete_user(user.id).await?;
        audit(
            tx.as_mut(),
            ctx,
            user.tenant,
            "user.delete",
            Some(user.id),
            json!({"login": user.login}),
        )
        .await?;
        self.commit_access(tx, &[AccessChange::new(AccessKind::User, user.id)])
            .await?;
        Ok(())
    }
}

fn login_taken(login: &str) -> CoreError {
    CoreError::Conflict {
        code: "login_taken",
        message: format!("the login '{login}' is already taken"),
        details: Some(json!({"field": "login"})),
    }
}

impl Service {
    /// The user `id` and their owner node, if the caller is that user or may read them.
    pub(super) async fn visible_user(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        id: Id,
    ) -> CoreResult<(User, OrgNode)> {
        let user = tx
            .get_user(ctx.actor.scope(), id)
            .await?
            .ok_or_else(|| CoreError::not_found("user"))?;
        if !ctx.actor.is(id) && !self.may(ctx, "user", "read", id) {
            return Err(CoreError::not_found("user"));
        }
        let owner = tx
            .get_org_node(TenantScope::All, user.owner)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("user {id} has no owner node")))?;
        Ok((user, owner))
    }

    /// Checks that a user owned by `owner` may join each of `groups`, and that the caller may
    /// add them; the groups, as read.
    pub(super) async fn check_groups_for(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        owner: &OrgNode,
        groups: &[Id],
    ) -> CoreResult<Vec<Group>> {
        let mut checked = Vec::with_capacity(groups.len());
        for g in groups {
            let group = tx
                .get_group(ctx.actor.scope(), *g)
                .await?
                .filter(|g| g.tenant == owner.tenant)
                .ok_or_else(|| {
                    CoreError::invalid(
                        "unknown_group",
                        "groups",
                        format!("group {g} does not exist"),
                    )
                })?;
            self.check_member_allowed(tx, ctx, &group, owner).await?;
            checked.push(group);
        }
        Ok(checked)
    }
}
